using System.Net;

namespace Sidecar.Init.Configuration;

/// <summary>
/// Everything the rule set depends on, validated and with the pod's facts (IPv6, DNS servers) filled in: the
/// counterpart of istio-iptables' config.Config after FillConfigFromEnvironment.
/// </summary>
internal sealed record CaptureConfig
{
    /// <summary>-p: where outbound TCP is redirected (Envoy's virtualOutbound, 15001).</summary>
    public required string ProxyPort { get; init; }

    /// <summary>-z: where inbound TCP is redirected (virtualInbound, 15006).</summary>
    public required string InboundCapturePort { get; init; }

    /// <summary>-e: the HBONE tunnel port that is never captured (15008).</summary>
    public required string InboundTunnelPort { get; init; }

    /// <summary>-u: uids whose traffic is the proxy's own and is not captured.</summary>
    public required IReadOnlyList<string> ProxyUids { get; init; }

    /// <summary>-g: gids whose traffic is the proxy's own and is not captured.</summary>
    public required IReadOnlyList<string> ProxyGids { get; init; }

    public required InterceptionMode InboundInterceptionMode { get; init; }

    /// <summary>-t: the fwmark of TPROXY'd packets.</summary>
    public required string InboundTProxyMark { get; init; }

    /// <summary>-r: the routing table that delivers marked packets locally.</summary>
    public required string InboundTProxyRouteTable { get; init; }

    /// <summary>-b: captured inbound ports; empty disables inbound capture.</summary>
    public required PortList InboundPortsInclude { get; init; }

    /// <summary>-d: inbound ports left alone when -b is "*".</summary>
    public required PortList InboundPortsExclude { get; init; }

    /// <summary>-q: outbound ports captured whatever the destination.</summary>
    public required PortList OutboundPortsInclude { get; init; }

    /// <summary>-o: outbound ports never captured.</summary>
    public required PortList OutboundPortsExclude { get; init; }

    /// <summary>-i: captured outbound destinations.</summary>
    public required CidrList OutboundIpRangesInclude { get; init; }

    /// <summary>-x: outbound destinations never captured.</summary>
    public required CidrList OutboundIpRangesExclude { get; init; }

    /// <summary>-k: interfaces whose inbound traffic (from VMs) is treated as outbound.</summary>
    public required IReadOnlyList<string> KubeVirtInterfaces { get; init; }

    /// <summary>-c: interfaces whose traffic is never captured.</summary>
    public required IReadOnlyList<string> ExcludeInterfaces { get; init; }

    /// <summary>ISTIO_OUTBOUND_OWNER_GROUPS(_EXCLUDE).</summary>
    public required InterceptFilter OwnerGroups { get; init; }

    /// <summary>ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR: what counts as the pod's own IPv4 loopback (127.0.0.1/32).</summary>
    public required string HostIPv4LoopbackCidr { get; init; }

    public required bool RedirectDns { get; init; }

    public required bool CaptureAllDns { get; init; }

    public required bool DropInvalid { get; init; }

    public required bool DualStack { get; init; }

    /// <summary>True when the pod has an IPv6 address (see <c>PodAddresses</c>): the ip6tables rule set is installed too.</summary>
    public required bool EnableIPv6 { get; init; }

    /// <summary>The pod address the IPv6 decision came from.</summary>
    public required IPAddress HostIp { get; init; }

    /// <summary>The pod's IPv4 nameservers (/etc/resolv.conf), read only when DNS is redirected to specific servers.</summary>
    public required IReadOnlyList<string> DnsServersV4 { get; init; }

    public required IReadOnlyList<string> DnsServersV6 { get; init; }

    public required bool DryRun { get; init; }

    public required bool CleanupOnly { get; init; }

    public required bool Reconcile { get; init; }

    public required bool ForceApply { get; init; }

    public required bool SkipRuleApply { get; init; }

    /// <summary>--force-iptables-binary: "legacy" or "nft", or null to detect.</summary>
    public string? ForceIptablesBinary { get; init; }
}
