namespace Sidecar.Init.CommandLine;

/// <summary>The flags of istio-iptables (tools/istio-iptables/pkg/cmd/root.go), named and lettered as Istio names them.</summary>
internal static class IptablesFlags
{
    public const string EnvoyPort = "envoy-port";
    public const string InboundCapturePort = "inbound-capture-port";
    public const string InboundTunnelPort = "inbound-tunnel-port";
    public const string ProxyUid = "proxy-uid";
    public const string ProxyGid = "proxy-gid";
    public const string InboundInterceptionMode = "istio-inbound-interception-mode";
    public const string InboundPorts = "istio-inbound-ports";
    public const string LocalExcludePorts = "istio-local-exclude-ports";
    public const string ExcludeInterfaces = "istio-exclude-interfaces";
    public const string ServiceCidr = "istio-service-cidr";
    public const string ServiceExcludeCidr = "istio-service-exclude-cidr";
    public const string OutboundPorts = "istio-outbound-ports";
    public const string LocalOutboundPortsExclude = "istio-local-outbound-ports-exclude";
    public const string KubeVirtInterfaces = "kube-virt-interfaces";
    public const string InboundTProxyMark = "istio-inbound-tproxy-mark";
    public const string InboundTProxyRouteTable = "istio-inbound-tproxy-route-table";
    public const string DryRun = "dry-run";
    public const string SkipRuleApply = "skip-rule-apply";
    public const string RedirectDns = "redirect-dns";
    public const string DropInvalid = "drop-invalid";
    public const string DualStack = "dual-stack";
    public const string CaptureAllDns = "capture-all-dns";
    public const string Reconcile = "reconcile";
    public const string CleanupOnly = "cleanup-only";
    public const string ForceApply = "force-apply";
    public const string ForceIptablesBinary = "force-iptables-binary";
    public const string Help = "help";

    // Not Istio's: where the pod's nameservers and addresses are read from, so tests can state them.
    public const string ResolvConf = "resolv-conf";
    public const string PodIps = "pod-ips";

    public static readonly IReadOnlyList<OptionSpec> All =
    [
        Value(EnvoyPort, 'p', "Port to which all outbound TCP traffic is redirected (default 15001).", env: false),
        Value(InboundCapturePort, 'z', "Port to which all inbound TCP traffic is redirected (default 15006)."),
        Value(InboundTunnelPort, 'e', "Inbound tunnel (HBONE) port, never captured (default 15008)."),
        Value(ProxyUid, 'u', "Comma separated uids whose traffic is not captured (default: uid of $ENVOY_USER, or 1337)."),
        Value(ProxyGid, 'g', "Comma separated gids whose traffic is not captured (default: the -u value)."),
        Value(InboundInterceptionMode, 'm', "How inbound connections are captured: REDIRECT (default) or TPROXY."),
        Value(InboundPorts, 'b', "Comma separated inbound ports to capture, or \"*\" for all; empty disables inbound capture."),
        Value(LocalExcludePorts, 'd', "Comma separated inbound ports not captured when -b is \"*\"."),
        Value(ExcludeInterfaces, 'c', "Comma separated interfaces whose traffic is never captured."),
        Value(ServiceCidr, 'i', "Comma separated outbound CIDRs to capture, or \"*\" for all; empty disables outbound capture."),
        Value(ServiceExcludeCidr, 'x', "Comma separated outbound CIDRs never captured."),
        Value(OutboundPorts, 'q', "Comma separated outbound ports captured whatever the destination."),
        Value(LocalOutboundPortsExclude, 'o', "Comma separated outbound ports never captured."),
        Value(KubeVirtInterfaces, 'k', "Comma separated virtual interfaces whose inbound traffic is treated as outbound."),
        Value(InboundTProxyMark, 't', "Packet mark used in TPROXY mode (default 1337)."),
        Value(InboundTProxyRouteTable, 'r', "Routing table used in TPROXY mode (default 133)."),
        Switch(DryRun, 'n', "Print the commands and rule sets instead of running them."),
        Switch(SkipRuleApply, null, "Do not apply any rule."),
        Switch(RedirectDns, null, "Capture DNS to the agent on 15053.", "ISTIO_META_DNS_CAPTURE"),
        Switch(DropInvalid, null, "Drop packets conntrack marks INVALID.", "INVALID_DROP"),
        Switch(DualStack, null, "Look for an IPv6 pod address on every interface (dual stack).", "ISTIO_DUAL_STACK"),
        Switch(CaptureAllDns, null, "With --redirect-dns, capture DNS to any server, not only the resolv.conf ones."),
        Switch(Reconcile, null, "Replace pre-existing, different Istio rules instead of leaving them."),
        Switch(CleanupOnly, null, "Remove the chains and rules this program installs, and nothing else."),
        Switch(ForceApply, null, "Apply the rules even when they appear to be in place already."),
        Value(ForceIptablesBinary, null, "Use the \"legacy\" or \"nft\" iptables variant instead of detecting it."),
        new OptionSpec(Help, 'h', IsSwitch: true, "Show this help.", []),
        new OptionSpec(ResolvConf, null, IsSwitch: false, "File to read the pod's nameservers from.", [], Hidden: true),
        new OptionSpec(PodIps, null, IsSwitch: false, "The pod's addresses, in interface order, instead of the interfaces'.", [], Hidden: true),
    ];

    public static OptionSpec Get(string name)
    {
        foreach (var spec in All)
        {
            if (spec.Name == name)
            {
                return spec;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(name), name, "not a flag");
    }

    private static OptionSpec Value(string name, char? shortName, string help, bool env = true) =>
        new(name, shortName, IsSwitch: false, help, env ? [OptionSpec.EnvNameOf(name)] : []);

    private static OptionSpec Switch(string name, char? shortName, string help, params string[] extraEnv) =>
        new(name, shortName, IsSwitch: true, help, [OptionSpec.EnvNameOf(name), .. extraEnv]);
}
