using Sidecar.Init.Configuration;

namespace Sidecar.Init.Rules;

/// <summary>
/// --redirect-dns: DNS from the app goes to the agent's DNS proxy on 15053 (istio-iptables' SetupDNSRedir), and DNS
/// over UDP is split into two conntrack zones (addDNSConntrackZones) so the app-to-agent and agent-to-server legs of
/// one query cannot be confused by conntrack.
/// </summary>
internal static class DnsCaptureRules
{
    public const string AgentDnsPort = "15053";

    public static void Add(RuleSet rules, CaptureConfig config)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(config);
        var all = config.CaptureAllDns;
        var v4 = config.DnsServersV4;
        var v6 = config.DnsServersV6;

        rules.Append(Tables.Raw, Chains.Output, "-j", Chains.IstioOutputDns);

        // Only the families that have something to capture jump to ISTIO_OUTPUT_DNS.
        if (all || v4.Count > 0)
        {
            rules.AppendV4(Tables.Nat, Chains.IstioOutput, "-j", Chains.IstioOutputDns);
        }
        if (all || v6.Count > 0)
        {
            rules.AppendV6(Tables.Nat, Chains.IstioOutput, "-j", Chains.IstioOutputDns);
        }

        // Only the resolv.conf servers, so a local resolver chain (app -> agent -> dnsmasq -> upstream) cannot loop.
        if (all)
        {
            rules.Append(Tables.Nat, Chains.IstioOutputDns, "-p", "tcp", "--dport", "53", "-j", "REDIRECT", "--to-ports", AgentDnsPort);
        }
        else
        {
            foreach (var server in v4)
            {
                rules.AppendV4(Tables.Nat, Chains.IstioOutputDns, "-p", "tcp", "--dport", "53", "-d", server + "/32",
                    "-j", "REDIRECT", "--to-ports", AgentDnsPort);
            }
            foreach (var server in v6)
            {
                rules.AppendV6(Tables.Nat, Chains.IstioOutputDns, "-p", "tcp", "--dport", "53", "-d", server + "/128",
                    "-j", "REDIRECT", "--to-ports", AgentDnsPort);
            }
        }

        // Istio writes "--to-port" (singular) for UDP; both spellings are accepted by iptables.
        if (all)
        {
            rules.Append(Tables.Nat, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-j", "REDIRECT", "--to-port", AgentDnsPort);
        }
        else
        {
            foreach (var server in v4)
            {
                rules.AppendV4(Tables.Nat, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-d", server + "/32",
                    "-j", "REDIRECT", "--to-port", AgentDnsPort);
            }
            foreach (var server in v6)
            {
                rules.AppendV6(Tables.Nat, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-d", server + "/128",
                    "-j", "REDIRECT", "--to-port", AgentDnsPort);
            }
        }

        ConntrackZones(rules, config);
    }

    /// <summary>Zone 1: the agent and upstream servers. Zone 2: app clients and the agent.</summary>
    private static void ConntrackZones(RuleSet rules, CaptureConfig config)
    {
        foreach (var uid in config.ProxyUids)
        {
            rules.Append(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-m", "owner", "--uid-owner", uid, "-j", "CT", "--zone", "1");
            rules.Append(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--sport", AgentDnsPort, "-m", "owner", "--uid-owner", uid, "-j", "CT", "--zone", "2");
        }
        foreach (var gid in config.ProxyGids)
        {
            rules.Append(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-m", "owner", "--gid-owner", gid, "-j", "CT", "--zone", "1");
            rules.Append(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--sport", AgentDnsPort, "-m", "owner", "--gid-owner", gid, "-j", "CT", "--zone", "2");
        }

        // Jump to raw ISTIO_INBOUND only where it gets rules: a jump to an empty chain would not be cleaned up.
        if (config.CaptureAllDns)
        {
            rules.Append(Tables.Raw, Chains.Prerouting, "-j", Chains.IstioInbound);
            rules.Append(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-j", "CT", "--zone", "2");
            rules.Append(Tables.Raw, Chains.IstioInbound, "-p", "udp", "--sport", "53", "-j", "CT", "--zone", "1");
            return;
        }

        if (config.DnsServersV4.Count != 0)
        {
            rules.AppendV4(Tables.Raw, Chains.Prerouting, "-j", Chains.IstioInbound);
        }
        foreach (var server in config.DnsServersV4)
        {
            rules.AppendV4(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-d", server + "/32", "-j", "CT", "--zone", "2");
            rules.AppendV4(Tables.Raw, Chains.IstioInbound, "-p", "udp", "--sport", "53", "-s", server + "/32", "-j", "CT", "--zone", "1");
        }
        if (config.DnsServersV6.Count != 0)
        {
            rules.AppendV6(Tables.Raw, Chains.Prerouting, "-j", Chains.IstioInbound);
        }
        foreach (var server in config.DnsServersV6)
        {
            rules.AppendV6(Tables.Raw, Chains.IstioOutputDns, "-p", "udp", "--dport", "53", "-d", server + "/128", "-j", "CT", "--zone", "2");
            rules.AppendV6(Tables.Raw, Chains.IstioInbound, "-p", "udp", "--sport", "53", "-s", server + "/128", "-j", "CT", "--zone", "1");
        }
    }
}
