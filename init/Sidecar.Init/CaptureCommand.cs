using System.Text;
using Sidecar.Init.Capture;
using Sidecar.Init.CommandLine;
using Sidecar.Init.Configuration;
using Sidecar.Init.Diagnostics;
using Sidecar.Init.Processes;
using Sidecar.Init.Rules;
using Sidecar.Init.Xtables;

namespace Sidecar.Init;

/// <summary>
/// The program: flags and environment -> validated configuration -> the rule set -> iptables (or, with --dry-run,
/// the commands and rule sets on stdout in istio-iptables' golden format) -> TPROXY routes.
/// </summary>
internal static class CaptureCommand
{
    public const int Success = 0;

    /// <summary>iptables is missing, not permitted, or refused the rules.</summary>
    public const int Failure = 1;

    /// <summary>A flag or environment variable is unknown or invalid; nothing was touched.</summary>
    public const int UsageError = 2;

    public static int Run(IReadOnlyList<string> args, Func<string, string?> environment, TextWriter output, TextWriter error, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var log = new InitLog(error, time);

        CaptureConfig config;
        try
        {
            var options = CommandLineParser.Parse(args, environment);
            if (options.Switch(IptablesFlags.Help))
            {
                Usage.Write(output);
                return Success;
            }
            config = CaptureConfigReader.Read(options, environment);
        }
        catch (OptionException e)
        {
            error.WriteLine($"sidecar-init: {e.Message}");
            error.WriteLine("Run 'sidecar-init --help' for the flags.");
            return UsageError;
        }

        log.Info("Istio iptables configuration:\n" + Describe(config));
        if (config.SkipRuleApply)
        {
            log.Info("--skip-rule-apply is set: no rule is applied");
            return Success;
        }

        var built = CaptureRules.Build(config);
        if (config.RedirectDns && !built.RedirectDns)
        {
            log.Warn("--redirect-dns is set, but --capture-all-dns is not and no DNS servers were found: DNS capture disabled");
        }

        IXtables xtables;
        IptablesBinaries v4;
        IptablesBinaries v6;
        if (config.DryRun)
        {
            xtables = new DryRunXtables(output);
            v4 = DryRunXtables.IPv4;
            v6 = DryRunXtables.IPv6;
        }
        else
        {
            try
            {
                v4 = IptablesDetector.Detect(ipv6: false, config.ForceIptablesBinary);
                RequireRestore(v4);
            }
            catch (XtablesUnavailableException e)
            {
                log.Error(e.Message);
                return Failure;
            }
            try
            {
                v6 = IptablesDetector.Detect(ipv6: true, config.ForceIptablesBinary);
                if (config.EnableIPv6)
                {
                    RequireRestore(v6);
                }
            }
            catch (XtablesUnavailableException e)
            {
                if (config.EnableIPv6)
                {
                    log.Error(e.Message);
                    return Failure;
                }
                log.Warn($"No working ip6tables ({e.Message}); continuing because the pod is not IPv6");
                v6 = IptablesBinaries.None;
            }
            log.Info($"Using {v4.Binary} {v4.Version} ({(v4.Legacy ? "legacy" : "nf_tables")})");
            xtables = new SystemXtables(log);
        }

        var installer = new CaptureInstaller(xtables, log, v4, v6);
        var mode = new CaptureInstaller.Mode(config.CleanupOnly, config.Reconcile, config.ForceApply, SweepLeftovers: !config.DryRun);
        if (!installer.Run(built.Rules, mode))
        {
            log.Error(config.CleanupOnly ? "Failed to remove the capture rules" : "Failed to install the capture rules");
            return Failure;
        }

        if (!config.DryRun)
        {
            var routing = new LocalRouting(log);
            if (config.CleanupOnly)
            {
                routing.Remove(config);
            }
            else if (!routing.Configure(config))
            {
                return Failure;
            }
        }
        return Success;
    }

    private static void RequireRestore(IptablesBinaries binaries)
    {
        // The rules go in with one iptables-restore; without it nothing can be applied atomically.
        if (ExecutablePath.Find(binaries.RestoreBinary, Environment.GetEnvironmentVariable("PATH")) is null)
        {
            throw new XtablesUnavailableException($"{binaries.RestoreBinary} is not installed (not found on PATH); it applies the rules atomically.");
        }
    }

    private static string Describe(CaptureConfig c)
    {
        var text = new StringBuilder();
        text.Append("PROXY_PORT=").AppendLine(c.ProxyPort)
            .Append("PROXY_INBOUND_CAPTURE_PORT=").AppendLine(c.InboundCapturePort)
            .Append("PROXY_TUNNEL_PORT=").AppendLine(c.InboundTunnelPort)
            .Append("PROXY_UID=").AppendLine(string.Join(',', c.ProxyUids))
            .Append("PROXY_GID=").AppendLine(string.Join(',', c.ProxyGids))
            .Append("INBOUND_INTERCEPTION_MODE=").AppendLine(c.InboundInterceptionMode == InterceptionMode.Tproxy ? "TPROXY" : "REDIRECT")
            .Append("INBOUND_TPROXY_MARK=").AppendLine(c.InboundTProxyMark)
            .Append("INBOUND_TPROXY_ROUTE_TABLE=").AppendLine(c.InboundTProxyRouteTable)
            .Append("INBOUND_PORTS_INCLUDE=").AppendLine(Ports(c.InboundPortsInclude))
            .Append("INBOUND_PORTS_EXCLUDE=").AppendLine(Ports(c.InboundPortsExclude))
            .Append("OUTBOUND_OWNER_GROUPS_INCLUDE=").AppendLine(c.OwnerGroups.Except ? "*" : string.Join(',', c.OwnerGroups.Values))
            .Append("OUTBOUND_OWNER_GROUPS_EXCLUDE=").AppendLine(c.OwnerGroups.Except ? string.Join(',', c.OwnerGroups.Values) : string.Empty)
            .Append("OUTBOUND_IP_RANGES_INCLUDE=").AppendLine(Cidrs(c.OutboundIpRangesInclude))
            .Append("OUTBOUND_IP_RANGES_EXCLUDE=").AppendLine(Cidrs(c.OutboundIpRangesExclude))
            .Append("OUTBOUND_PORTS_INCLUDE=").AppendLine(Ports(c.OutboundPortsInclude))
            .Append("OUTBOUND_PORTS_EXCLUDE=").AppendLine(Ports(c.OutboundPortsExclude))
            .Append("KUBE_VIRT_INTERFACES=").AppendLine(string.Join(',', c.KubeVirtInterfaces))
            .Append("EXCLUDE_INTERFACES=").AppendLine(string.Join(',', c.ExcludeInterfaces))
            .Append("ENABLE_INBOUND_IPV6=").AppendLine(c.EnableIPv6 ? "true" : "false")
            .Append("DUAL_STACK=").AppendLine(c.DualStack ? "true" : "false")
            .Append("DNS_CAPTURE=").AppendLine(c.RedirectDns ? "true" : "false")
            .Append("DROP_INVALID=").AppendLine(c.DropInvalid ? "true" : "false")
            .Append("CAPTURE_ALL_DNS=").AppendLine(c.CaptureAllDns ? "true" : "false")
            .Append("DNS_SERVERS=[").Append(string.Join(' ', c.DnsServersV4)).Append("],[").Append(string.Join(' ', c.DnsServersV6)).AppendLine("]")
            .Append("HOST_IPV4_LOOPBACK_CIDR=").AppendLine(c.HostIPv4LoopbackCidr)
            .Append("RECONCILE=").AppendLine(c.Reconcile ? "true" : "false")
            .Append("CLEANUP_ONLY=").AppendLine(c.CleanupOnly ? "true" : "false")
            .Append("FORCE_APPLY=").Append(c.ForceApply ? "true" : "false");
        return text.ToString();
    }

    private static string Ports(PortList ports) => ports.IsWildcard ? "*" : string.Join(',', ports.Ports);

    private static string Cidrs(CidrList cidrs)
    {
        if (cidrs.IsWildcard)
        {
            return "*";
        }
        var all = new List<string>();
        foreach (var prefix in cidrs.IPv4.Prefixes)
        {
            all.Add(prefix.ToString());
        }
        foreach (var prefix in cidrs.IPv6.Prefixes)
        {
            all.Add(prefix.ToString());
        }
        return string.Join(',', all);
    }
}
