using Sidecar.Init.Configuration;

namespace Sidecar.Init.Rules;

/// <summary>
/// Builds the capture rule set from a configuration, rule for rule and in the order istio-iptables' capture package
/// builds it (IptablesConfigurator.Run), so the iptables-restore input is the same as Istio's for the same flags.
/// </summary>
/// <remarks>
/// nat: PREROUTING -> ISTIO_INBOUND -> ISTIO_IN_REDIRECT (REDIRECT to -z); OUTPUT -> ISTIO_OUTPUT -> ISTIO_REDIRECT
/// (REDIRECT to -p). ISTIO_OUTPUT returns early for the proxy's own uid/gid, for loopback traffic that is not
/// app-to-own-VIP, and for excluded ports and CIDRs. TPROXY mode moves inbound capture to mangle, with marks and a
/// routing table. DNS capture adds ISTIO_OUTPUT_DNS in nat and conntrack zones in raw.
/// </remarks>
internal static class CaptureRules
{
    /// <summary>Envoy's listener for the proxy's own outbound traffic to itself through 127.0.0.6 (inbound passthrough).</summary>
    public const string InboundPassthroughSourceV4 = "127.0.0.6/32";

    public const string InboundPassthroughSourceV6 = "::6/128";

    public const string LoopbackV6 = "::1/128";

    /// <summary>In TPROXY mode, packets from the proxy's outbound side to the app by pod IP carry this mark.</summary>
    public const string OutboundMark = "1338";

    /// <summary>The result: the rules, and whether DNS capture is really on (it is off without any server to capture).</summary>
    public sealed record Result(RuleSet Rules, bool RedirectDns);

    public static Result Build(CaptureConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rules = new RuleSet(config.EnableIPv6);
        var loopback = config.HostIPv4LoopbackCidr;
        var tproxy = config.InboundInterceptionMode == InterceptionMode.Tproxy;

        // Without servers to capture and without --capture-all-dns there is nothing to redirect.
        var redirectDns = config.RedirectDns
            && (config.CaptureAllDns || config.DnsServersV4.Count > 0 || config.DnsServersV6.Count > 0);

        ExcludeInterfaces(rules, config);

        // Traffic arriving on the kube virt interfaces is not inbound traffic of this pod.
        foreach (var nic in config.KubeVirtInterfaces)
        {
            rules.Insert(Tables.Nat, Chains.Prerouting, 1, "-i", nic, "-j", "RETURN");
        }

        if (config.DropInvalid)
        {
            // Drop out-of-window packets rather than let conntrack mark them INVALID and the kernel reset the connection.
            rules.Append(Tables.Mangle, Chains.Prerouting, "-m", "conntrack", "--ctstate", "INVALID", "-j", Chains.IstioDrop);
            rules.Append(Tables.Mangle, Chains.IstioDrop, "-j", "DROP");
        }

        // The tunnel port is the proxy's own listener: never captured.
        rules.Append(Tables.Nat, Chains.IstioInbound, "-p", "tcp", "--dport", config.InboundTunnelPort, "-j", "RETURN");
        rules.Append(Tables.Nat, Chains.IstioRedirect, "-p", "tcp", "-j", "REDIRECT", "--to-ports", config.ProxyPort);
        rules.Append(Tables.Nat, Chains.IstioInRedirect, "-p", "tcp", "-j", "REDIRECT", "--to-ports", config.InboundCapturePort);

        InboundPorts(rules, config, loopback);

        // All outbound traffic (TCP, and UDP for DNS) goes through ISTIO_OUTPUT.
        rules.Append(Tables.Nat, Chains.Output, "-j", Chains.IstioOutput);

        // Port exclusions come before the loopback rules so an app can call itself on an excluded port directly.
        foreach (var port in config.OutboundPortsExclude.Ports)
        {
            rules.Append(Tables.Nat, Chains.IstioOutput, "-p", "tcp", "--dport", port, "-j", "RETURN");
            rules.Append(Tables.Nat, Chains.IstioOutput, "-p", "udp", "--dport", port, "-j", "RETURN");
        }

        // The proxy binds 127.0.0.6 (::6) to reach the app for inbound passthrough: leave it alone.
        rules.AppendVersioned(InboundPassthroughSourceV4, InboundPassthroughSourceV6, Tables.Nat, Chains.IstioOutput,
            "-o", "lo", "-s", RuleSet.IpVersionSpecific, "-j", "RETURN");

        var loopbackIncluded = config.OutboundIpRangesInclude.IPv4.HasLoopback || config.OutboundIpRangesInclude.IPv6.HasLoopback;
        foreach (var uid in config.ProxyUids)
        {
            ProxyOwner(rules, "--uid-owner", uid, config, loopback, redirectDns, loopbackIncluded, dnsAwareRedirect: true);
        }
        foreach (var gid in config.ProxyGids)
        {
            ProxyOwner(rules, "--gid-owner", gid, config, loopback, redirectDns, loopbackIncluded, dnsAwareRedirect: false);
        }

        OwnerGroups(rules, config.OwnerGroups);

        if (redirectDns)
        {
            DnsCaptureRules.Add(rules, config);
        }

        // Apps and sidecar-aware clients that use localhost explicitly are not captured.
        rules.AppendVersioned(loopback, LoopbackV6, Tables.Nat, Chains.IstioOutput, "-d", RuleSet.IpVersionSpecific, "-j", "RETURN");

        // CIDR exclusions must come before the inclusions.
        foreach (var prefix in config.OutboundIpRangesExclude.IPv4.Prefixes)
        {
            rules.AppendV4(Tables.Nat, Chains.IstioOutput, "-d", prefix.ToString(), "-j", "RETURN");
        }
        foreach (var prefix in config.OutboundIpRangesExclude.IPv6.Prefixes)
        {
            rules.AppendV6(Tables.Nat, Chains.IstioOutput, "-d", prefix.ToString(), "-j", "RETURN");
        }

        foreach (var port in config.OutboundPortsInclude.Ports)
        {
            rules.Append(Tables.Nat, Chains.IstioOutput, "-p", "tcp", "--dport", port, "-j", Chains.IstioRedirect);
        }

        OutboundRanges(config.OutboundIpRangesInclude.IPv4, config.KubeVirtInterfaces, rules.AppendV4, rules.InsertV4);
        OutboundRanges(config.OutboundIpRangesInclude.IPv6, config.KubeVirtInterfaces, rules.AppendV6, rules.InsertV6);

        if (tproxy)
        {
            TproxyMarks(rules, config, loopback);
        }
        return new Result(rules, redirectDns);
    }

    private static void ExcludeInterfaces(RuleSet rules, CaptureConfig config)
    {
        foreach (var nic in config.ExcludeInterfaces)
        {
            rules.Append(Tables.Nat, Chains.Prerouting, "-i", nic, "-j", "RETURN");
            rules.Append(Tables.Nat, Chains.Output, "-o", nic, "-j", "RETURN");
        }
        if (config.InboundInterceptionMode == InterceptionMode.Tproxy)
        {
            foreach (var nic in config.ExcludeInterfaces)
            {
                rules.Append(Tables.Mangle, Chains.Prerouting, "-i", nic, "-j", "RETURN");
                rules.Append(Tables.Mangle, Chains.Output, "-o", nic, "-j", "RETURN");
            }
        }
    }

    private static void InboundPorts(RuleSet rules, CaptureConfig config, string loopback)
    {
        var include = config.InboundPortsInclude;
        if (include.IsEmpty)
        {
            return;
        }
        string table;
        if (config.InboundInterceptionMode == InterceptionMode.Tproxy)
        {
            // Marked packets are routed to loopback (table -r) where the TPROXY socket picks them up.
            rules.Append(Tables.Mangle, Chains.IstioDivert, "-j", "MARK", "--set-mark", config.InboundTProxyMark);
            rules.Append(Tables.Mangle, Chains.IstioDivert, "-j", "ACCEPT");
            rules.AppendVersioned(loopback, LoopbackV6, Tables.Mangle, Chains.IstioTproxy,
                "!", "-d", RuleSet.IpVersionSpecific, "-p", "tcp", "-j", "TPROXY",
                "--tproxy-mark", config.InboundTProxyMark + "/0xffffffff", "--on-port", config.InboundCapturePort);
            table = Tables.Mangle;
        }
        else
        {
            table = Tables.Nat;
        }
        rules.Append(table, Chains.Prerouting, "-p", "tcp", "-j", Chains.IstioInbound);

        if (include.IsWildcard)
        {
            foreach (var port in config.InboundPortsExclude.Ports)
            {
                rules.Append(table, Chains.IstioInbound, "-p", "tcp", "--dport", port, "-j", "RETURN");
            }
            if (config.InboundInterceptionMode == InterceptionMode.Tproxy)
            {
                // Packets of established connections go straight to the local socket; new ones through TPROXY.
                rules.Append(Tables.Mangle, Chains.IstioInbound, "-p", "tcp",
                    "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", Chains.IstioDivert);
                rules.Append(Tables.Mangle, Chains.IstioInbound, "-p", "tcp", "-j", Chains.IstioTproxy);
            }
            else
            {
                rules.Append(Tables.Nat, Chains.IstioInbound, "-p", "tcp", "-j", Chains.IstioInRedirect);
            }
            return;
        }

        foreach (var port in include.Ports)
        {
            if (config.InboundInterceptionMode == InterceptionMode.Tproxy)
            {
                rules.Append(Tables.Mangle, Chains.IstioInbound, "-p", "tcp", "--dport", port,
                    "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", Chains.IstioDivert);
                rules.Append(Tables.Mangle, Chains.IstioInbound, "-p", "tcp", "--dport", port, "-j", Chains.IstioTproxy);
            }
            else
            {
                rules.Append(Tables.Nat, Chains.IstioInbound, "-p", "tcp", "--dport", port, "-j", Chains.IstioInRedirect);
            }
        }
    }

    /// <summary>
    /// The three rules per proxy uid or gid: the proxy calling the app through a service VIP that resolved to the pod
    /// goes to inbound capture; other loopback traffic of other owners returns (app to itself); everything else of
    /// the proxy returns (no loops).
    /// </summary>
    private static void ProxyOwner(RuleSet rules, string ownerMatch, string owner, CaptureConfig config, string loopback,
        bool redirectDns, bool loopbackIncluded, bool dnsAwareRedirect)
    {
        if (redirectDns && dnsAwareRedirect)
        {
            // The agent's own DNS queries over lo go to the DNS server, not through the inbound listener.
            rules.AppendVersioned(loopback, LoopbackV6, Tables.Nat, Chains.IstioOutput,
                "-o", "lo", "!", "-d", RuleSet.IpVersionSpecific, "-p", "tcp",
                "-m", "multiport", "!", "--dports", "53," + config.InboundTunnelPort,
                "-m", "owner", ownerMatch, owner, "-j", Chains.IstioInRedirect);
        }
        else
        {
            rules.AppendVersioned(loopback, LoopbackV6, Tables.Nat, Chains.IstioOutput,
                "-o", "lo", "!", "-d", RuleSet.IpVersionSpecific, "-p", "tcp",
                "!", "--dport", config.InboundTunnelPort,
                "-m", "owner", ownerMatch, owner, "-j", Chains.IstioInRedirect);
        }

        // An explicitly included loopback range means loopback traffic is to be captured.
        if (!loopbackIncluded)
        {
            if (redirectDns)
            {
                // TCP DNS to a server on localhost is still captured (to 15053) further down.
                rules.Append(Tables.Nat, Chains.IstioOutput, "-o", "lo", "-p", "tcp", "!", "--dport", "53",
                    "-m", "owner", "!", ownerMatch, owner, "-j", "RETURN");
            }
            else
            {
                rules.Append(Tables.Nat, Chains.IstioOutput, "-o", "lo", "-m", "owner", "!", ownerMatch, owner, "-j", "RETURN");
            }
        }

        // Any protocol, any destination: the proxy's own traffic is never captured.
        rules.Append(Tables.Nat, Chains.IstioOutput, "-m", "owner", ownerMatch, owner, "-j", "RETURN");
    }

    private static void OwnerGroups(RuleSet rules, InterceptFilter filter)
    {
        if (filter.Except)
        {
            foreach (var group in filter.Values)
            {
                rules.Append(Tables.Nat, Chains.IstioOutput, "-m", "owner", "--gid-owner", group, "-j", "RETURN");
            }
            return;
        }
        // Only the listed groups are captured: one rule returning traffic of any other group.
        var arguments = new List<string>();
        foreach (var group in filter.Values)
        {
            arguments.AddRange(["-m", "owner", "!", "--gid-owner", group]);
        }
        arguments.AddRange(["-j", "RETURN"]);
        rules.Append(Tables.Nat, Chains.IstioOutput, [.. arguments]);
    }

    private static void OutboundRanges(NetworkRange range, IReadOnlyList<string> kubeVirtInterfaces,
        Action<string, string, string[]> append, Action<string, string, int, string[]> insert)
    {
        if (range.IsWildcard)
        {
            append(Tables.Nat, Chains.IstioOutput, ["-j", Chains.IstioRedirect]);
            foreach (var nic in kubeVirtInterfaces)
            {
                insert(Tables.Nat, Chains.Prerouting, 1, ["-i", nic, "-j", Chains.IstioRedirect]);
            }
            return;
        }
        foreach (var prefix in range.Prefixes)
        {
            foreach (var nic in kubeVirtInterfaces)
            {
                insert(Tables.Nat, Chains.Prerouting, 1, ["-i", nic, "-d", prefix.ToString(), "-j", Chains.IstioRedirect]);
            }
            append(Tables.Nat, Chains.IstioOutput, ["-d", prefix.ToString(), "-j", Chains.IstioRedirect]);
        }
    }

    private static void TproxyMarks(RuleSet rules, CaptureConfig config, string loopback)
    {
        var mark = config.InboundTProxyMark;
        // Keep the mark the proxy's original_src listener filter sets, as a connection mark.
        rules.Append(Tables.Mangle, Chains.Prerouting, "-p", "tcp", "-m", "mark", "--mark", mark, "-j", "CONNMARK", "--save-mark");
        // Proxy-to-app packets already marked are not marked again.
        rules.Append(Tables.Mangle, Chains.Output, "-p", "tcp", "-o", "lo", "-m", "mark", "--mark", mark, "-j", "RETURN");
        // app -> VIP -> proxy outbound -(1338)-> proxy inbound -> app: the proxy's outbound traffic to the pod IP.
        foreach (var uid in config.ProxyUids)
        {
            rules.AppendVersioned(loopback, LoopbackV6, Tables.Mangle, Chains.Output,
                "!", "-d", RuleSet.IpVersionSpecific, "-p", "tcp", "-o", "lo",
                "-m", "owner", "--uid-owner", uid, "-j", "MARK", "--set-mark", OutboundMark);
        }
        foreach (var gid in config.ProxyGids)
        {
            rules.AppendVersioned(loopback, LoopbackV6, Tables.Mangle, Chains.Output,
                "!", "-d", RuleSet.IpVersionSpecific, "-p", "tcp", "-o", "lo",
                "-m", "owner", "--gid-owner", gid, "-j", "MARK", "--set-mark", OutboundMark);
        }
        // Replies of the workload follow the TPROXY routing entry.
        rules.Append(Tables.Mangle, Chains.Output, "-p", "tcp", "-m", "connmark", "--mark", mark, "-j", "CONNMARK", "--restore-mark");
        // No infinite redirect.
        rules.Insert(Tables.Mangle, Chains.IstioInbound, 1, "-p", "tcp", "-m", "mark", "--mark", mark, "-j", "RETURN");
        // The proxy reaching the app through 127.0.0.6 (::6) is not inbound traffic.
        rules.InsertV4(Tables.Mangle, Chains.IstioInbound, 2, "-p", "tcp", "-s", InboundPassthroughSourceV4, "-i", "lo", "-j", "RETURN");
        rules.InsertV6(Tables.Mangle, Chains.IstioInbound, 2, "-p", "tcp", "-s", InboundPassthroughSourceV6, "-i", "lo", "-j", "RETURN");
        // Nor is the app calling itself by pod IP, unless it came from the proxy's outbound side.
        rules.Insert(Tables.Mangle, Chains.IstioInbound, 3, "-p", "tcp", "-i", "lo", "-m", "mark", "!", "--mark", OutboundMark, "-j", "RETURN");
    }
}
