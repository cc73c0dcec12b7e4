namespace Sidecar.Init.Tests.Conformance;

/// <summary>
/// Dry runs for flag combinations Istio's golden files do not cover. Each expected output is derived from the rules
/// of istio-iptables (tools/istio-iptables/pkg/capture/run.go, IptablesConfigurator.Run): the comments name the rule.
/// </summary>
public sealed class DryRunGoldenTests
{
    /// <summary>What the sidecar injector passes (ISTIO-CONTRACT §4), for an IPv4 pod.</summary>
    internal static readonly string[] InjectedDefaults =
        ["-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"];

    // The lines every REDIRECT-mode rule set starts with: the tunnel port RETURN, then both REDIRECT chains.
    private const string NatHead = """
        -N ISTIO_INBOUND
        -N ISTIO_REDIRECT
        -N ISTIO_IN_REDIRECT
        -N ISTIO_OUTPUT
        -A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
        -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
        -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
        """;

    // Per proxy uid, then gid: proxy -> own VIP goes to inbound; other owners' loopback returns; the proxy returns.
    private const string ProxyOwnerRulesV4 = """
        -A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
        -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
        -A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
        -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
        -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
        -A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
        -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
        """;

    [Fact]
    public void Injected_default_flags_capture_all_inbound_but_the_sidecar_ports_and_all_outbound()
    {
        // -b '*': PREROUTING -> ISTIO_INBOUND, one RETURN per -d port in order, then the rest to ISTIO_IN_REDIRECT.
        // -i '*': after the localhost RETURN, everything else to ISTIO_REDIRECT. -x '' adds nothing; -g defaults to -u.
        var expected = $"""
            iptables-save
            ip6tables-save
            * nat
            {NatHead}
            -A PREROUTING -p tcp -j ISTIO_INBOUND
            -A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN
            -A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN
            -A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN
            -A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
            -A OUTPUT -j ISTIO_OUTPUT
            {ProxyOwnerRulesV4}
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_REDIRECT
            COMMIT
            iptables-save
            """;

        AssertDryRun(expected, InjectedDefaults);
    }

    [Fact]
    public void Excluded_outbound_ports_return_tcp_and_udp_before_the_loopback_rules()
    {
        // "Apply port based exclusions. Must be applied before connections back to self are redirected": a tcp and a
        // udp RETURN per port, right after the OUTPUT jump.
        var expected = $"""
            iptables-save
            ip6tables-save
            * nat
            {NatHead}
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -p tcp --dport 5432 -j RETURN
            -A ISTIO_OUTPUT -p udp --dport 5432 -j RETURN
            -A ISTIO_OUTPUT -p tcp --dport 6379 -j RETURN
            -A ISTIO_OUTPUT -p udp --dport 6379 -j RETURN
            {ProxyOwnerRulesV4}
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_REDIRECT
            COMMIT
            iptables-save
            """;

        AssertDryRun(expected, "-i", "*", "-o", "5432,6379");
    }

    [Fact]
    public void Included_cidrs_with_exclusions_are_split_by_family_on_a_dual_stack_pod()
    {
        // separateV4V6 splits -i and -x; exclusions (RETURN) come before inclusions (ISTIO_REDIRECT), IPv4 ones in
        // iptables and IPv6 ones in ip6tables; the IPv6 set uses ::6/128 and ::1/128 for the loopback rules.
        var expected = $"""
            iptables-save
            ip6tables-save
            * nat
            {NatHead}
            -A PREROUTING -p tcp -j ISTIO_INBOUND
            -A ISTIO_INBOUND -p tcp --dport 8080 -j ISTIO_IN_REDIRECT
            -A OUTPUT -j ISTIO_OUTPUT
            {ProxyOwnerRulesV4}
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -d 10.96.0.10/32 -j RETURN
            -A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT
            COMMIT
            * nat
            {NatHead}
            -A PREROUTING -p tcp -j ISTIO_INBOUND
            -A ISTIO_INBOUND -p tcp --dport 8080 -j ISTIO_IN_REDIRECT
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -o lo -s ::6/128 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d ::1/128 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d ::1/128 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -d ::1/128 -j RETURN
            -A ISTIO_OUTPUT -d fd00:10:96::a/128 -j RETURN
            -A ISTIO_OUTPUT -d fd00:10:96::/112 -j ISTIO_REDIRECT
            COMMIT
            iptables-save
            ip6tables-save
            """;

        var outcome = SidecarInit.Run(["-u", "1337", "-b", "8080", "-i", "10.96.0.0/12,fd00:10:96::/112",
            "-x", "10.96.0.10/32,fd00:10:96::a/128", "--dry-run", "--pod-ips", "10.0.0.1,fd00::1", "--dual-stack"]);

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal(expected.Split('\n'), outcome.Stdout.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Tproxy_with_all_inbound_ports_moves_inbound_capture_to_mangle()
    {
        // handleInboundPortsInclude in TPROXY mode: ISTIO_DIVERT marks, ISTIO_TPROXY redirects; with "*", the -d
        // RETURNs, then established connections to ISTIO_DIVERT and new ones to ISTIO_TPROXY. Then the mark
        // bookkeeping of the TPROXY block at the end of Run, with its three inserts at the top of ISTIO_INBOUND.
        var expected = $"""
            iptables-save
            ip6tables-save
            * mangle
            -N ISTIO_DIVERT
            -N ISTIO_TPROXY
            -N ISTIO_INBOUND
            -A ISTIO_DIVERT -j MARK --set-mark 1337
            -A ISTIO_DIVERT -j ACCEPT
            -A ISTIO_TPROXY ! -d 127.0.0.1/32 -p tcp -j TPROXY --tproxy-mark 1337/0xffffffff --on-port 15006
            -A PREROUTING -p tcp -j ISTIO_INBOUND
            -A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN
            -A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN
            -A ISTIO_INBOUND -p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT
            -A ISTIO_INBOUND -p tcp -j ISTIO_TPROXY
            -A PREROUTING -p tcp -m mark --mark 1337 -j CONNMARK --save-mark
            -A OUTPUT -p tcp -o lo -m mark --mark 1337 -j RETURN
            -A OUTPUT ! -d 127.0.0.1/32 -p tcp -o lo -m owner --uid-owner 1337 -j MARK --set-mark 1338
            -A OUTPUT ! -d 127.0.0.1/32 -p tcp -o lo -m owner --gid-owner 1337 -j MARK --set-mark 1338
            -A OUTPUT -p tcp -m connmark --mark 1337 -j CONNMARK --restore-mark
            -I ISTIO_INBOUND 1 -p tcp -m mark --mark 1337 -j RETURN
            -I ISTIO_INBOUND 2 -p tcp -s 127.0.0.6/32 -i lo -j RETURN
            -I ISTIO_INBOUND 3 -p tcp -i lo -m mark ! --mark 1338 -j RETURN
            COMMIT
            * nat
            {NatHead}
            -A OUTPUT -j ISTIO_OUTPUT
            {ProxyOwnerRulesV4}
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            COMMIT
            iptables-save
            """;

        AssertDryRun(expected, "-u", "1337", "-m", "TPROXY", "-b", "*", "-d", "15090,15021");
    }

    [Fact]
    public void Capture_all_dns_redirects_port_53_to_any_server_and_zones_all_udp_dns()
    {
        // SetupDNSRedir with captureAllDNS: no -d on the REDIRECTs, the raw PREROUTING jump is unconditional, and
        // the zone rules match any server. The proxy's TCP :53 over lo is not sent to inbound (multiport 53,15008).
        var expected = """
            iptables-save
            ip6tables-save
            * nat
            -N ISTIO_INBOUND
            -N ISTIO_REDIRECT
            -N ISTIO_IN_REDIRECT
            -N ISTIO_OUTPUT
            -N ISTIO_OUTPUT_DNS
            -A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN
            -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
            -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp -m multiport ! --dports 53,15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -p tcp ! --dport 53 -m owner ! --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -o lo -p tcp ! --dport 53 -m owner ! --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_OUTPUT_DNS
            -A ISTIO_OUTPUT_DNS -p tcp --dport 53 -j REDIRECT --to-ports 15053
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -j REDIRECT --to-port 15053
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_REDIRECT
            COMMIT
            * raw
            -N ISTIO_OUTPUT_DNS
            -N ISTIO_INBOUND
            -A OUTPUT -j ISTIO_OUTPUT_DNS
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --uid-owner 1337 -j CT --zone 1
            -A ISTIO_OUTPUT_DNS -p udp --sport 15053 -m owner --uid-owner 1337 -j CT --zone 2
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -m owner --gid-owner 1337 -j CT --zone 1
            -A ISTIO_OUTPUT_DNS -p udp --sport 15053 -m owner --gid-owner 1337 -j CT --zone 2
            -A PREROUTING -j ISTIO_INBOUND
            -A ISTIO_OUTPUT_DNS -p udp --dport 53 -j CT --zone 2
            -A ISTIO_INBOUND -p udp --sport 53 -j CT --zone 1
            COMMIT
            iptables-save
            """;

        AssertDryRun(expected, "-u", "1337", "-i", "*", "--redirect-dns", "--capture-all-dns");
    }

    [Fact]
    public void Excluded_owner_groups_each_return_before_the_localhost_rule()
    {
        // handleCaptureByOwnerGroup with include "*": one RETURN per excluded group (by name or gid).
        var expected = $"""
            iptables-save
            ip6tables-save
            * nat
            {NatHead}
            -A OUTPUT -j ISTIO_OUTPUT
            {ProxyOwnerRulesV4}
            -A ISTIO_OUTPUT -m owner --gid-owner 888 -j RETURN
            -A ISTIO_OUTPUT -m owner --gid-owner ftp -j RETURN
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -j ISTIO_REDIRECT
            COMMIT
            iptables-save
            """;

        var outcome = SidecarInit.Run(["-u", "1337", "-i", "*", "--dry-run", "--pod-ips", "10.0.0.1"],
            new Dictionary<string, string> { ["ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE"] = "888,ftp" });

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal(expected.Split('\n'), outcome.Stdout.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_loopback_range_in_the_include_list_keeps_app_loopback_traffic_captured()
    {
        // "If loopback explicitly set via OutboundIPRangesInclude, then don't return": no "-o lo ! --uid-owner" RETURNs.
        var expected = $"""
            iptables-save
            ip6tables-save
            * nat
            {NatHead}
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
            -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
            -A ISTIO_OUTPUT -d 127.1.2.3/32 -j ISTIO_REDIRECT
            COMMIT
            iptables-save
            """;

        AssertDryRun(expected, "-u", "1337", "-i", "127.1.2.3/32");
    }

    [Fact]
    public void Cleanup_deletes_our_jumps_latest_first_then_flushes_and_deletes_our_chains()
    {
        // buildCleanupRules: the rules reversed; -D for rules in built-in chains and for jumps into ISTIO_* chains
        // (other rules go with their chain); then -F/-X per ISTIO_* chain in reversed order of first use.
        var expected = """
            iptables-save
            ip6tables-save
            iptables -t nat -D ISTIO_OUTPUT -j ISTIO_REDIRECT
            iptables -t nat -D ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
            iptables -t nat -D ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
            iptables -t nat -D OUTPUT -j ISTIO_OUTPUT
            iptables -t nat -D ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
            iptables -t nat -D PREROUTING -p tcp -j ISTIO_INBOUND
            iptables -t nat -F ISTIO_OUTPUT
            iptables -t nat -X ISTIO_OUTPUT
            iptables -t nat -F ISTIO_INBOUND
            iptables -t nat -X ISTIO_INBOUND
            iptables -t nat -F ISTIO_IN_REDIRECT
            iptables -t nat -X ISTIO_IN_REDIRECT
            iptables -t nat -F ISTIO_REDIRECT
            iptables -t nat -X ISTIO_REDIRECT
            iptables-save
            """;

        AssertDryRun(expected, [.. InjectedDefaults, "--cleanup-only"]);
        AssertDryRun(expected, ["cleanup", .. InjectedDefaults]);
    }

    private static void AssertDryRun(string expected, params string[] args)
    {
        var outcome = SidecarInit.DryRun(args);
        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal(expected.Split('\n'), outcome.Stdout.TrimEnd('\n').Split('\n'));
    }
}
