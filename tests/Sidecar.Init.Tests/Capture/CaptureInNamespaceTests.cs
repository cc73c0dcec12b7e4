using System.Net;
using System.Net.Sockets;
using Sidecar.Init.Tests.Conformance;
using Sidecar.Testing.Netns;

namespace Sidecar.Init.Tests.Capture;

/// <summary>
/// The rules, installed for real by the built program in a pod's network namespace, do what Istio's do: the app's
/// outbound TCP reaches 15001 with its original destination, inbound TCP to app ports reaches 15006, the proxy's own
/// traffic (uid 1337) and excluded ports and CIDRs pass untouched, and cleanup leaves only other owners' rules.
/// Pods are namespaces on a bridge (10.77.N.x); listeners inside them answer with their name.
/// </summary>
public sealed class CaptureInNamespaceTests
{
    private const int ProxyUid = 1337;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [NetnsFact]
    public void Default_rules_are_installed_as_the_dry_run_prints_them()
    {
        using var network = PodNetwork.Create(["app"], subnet: 1);
        var app = network["app"];

        Install(app, DryRunGoldenTests.InjectedDefaults);

        var planned = PlannedNatRules(app, DryRunGoldenTests.InjectedDefaults);
        var saved = app.Namespace.Exec("iptables-save", "-t", "nat").EnsureSuccess().Stdout;
        foreach (var chain in planned.Select(r => r.Chain).Distinct())
        {
            var plannedInChain = planned.Where(r => r.Chain == chain).ToList();
            var savedInChain = saved.Split('\n').Where(l => l.StartsWith($"-A {chain} ", StringComparison.Ordinal)).ToList();
            // Same rules in the same order: iptables-save rewrites matches ("-m tcp", option order), not targets.
            Assert.Equal(plannedInChain.Select(r => Target(r.Arguments)), savedInChain.Select(Target));
            foreach (var rule in plannedInChain)
            {
                var check = app.Namespace.Exec(["iptables", "-t", "nat", "-C", chain, .. rule.Arguments], environment: null);
                Assert.True(check.Succeeded, $"rule not installed: -A {chain} {string.Join(' ', rule.Arguments)}\n{saved}");
            }
        }
        Assert.Contains(":ISTIO_INBOUND", saved, StringComparison.Ordinal);
        Assert.Contains(":ISTIO_IN_REDIRECT", saved, StringComparison.Ordinal);
        Assert.Contains(":ISTIO_OUTPUT", saved, StringComparison.Ordinal);
        Assert.Contains(":ISTIO_REDIRECT", saved, StringComparison.Ordinal);
    }

    [NetnsFact("bash")]
    public async Task The_apps_outbound_connection_is_captured_and_the_proxys_own_is_not()
    {
        using var network = PodNetwork.Create(["app", "peer"], subnet: 2);
        var (app, peer) = (network["app"], network["peer"]);
        Install(app, DryRunGoldenTests.InjectedDefaults);
        await using var outbound = NamespaceListener.Start(app.Namespace, 15001, "app:15001");
        await using var service = NamespaceListener.Start(peer.Namespace, 8080, "peer:8080");

        // The app (root, not 1337) calls peer:8080: ISTIO_OUTPUT -> ISTIO_REDIRECT -> 15001, destination kept.
        Assert.Equal("app:15001", await GreetingAsync(app, peer.EndPoint(8080)));
        var captured = await outbound.NextConnectionAsync(Deadline);
        Assert.Equal(peer.EndPoint(8080), captured.OriginalDestination);

        // The proxy (uid 1337) calls peer:8080: "-m owner --uid-owner 1337 -j RETURN", straight to the peer.
        Assert.Equal("peer:8080", GreetingAs(app, ProxyUid, peer.EndPoint(8080)));
        var direct = await service.NextConnectionAsync(Deadline);
        Assert.Equal(app.Address, direct.Remote.Address);
        Assert.Equal(1, outbound.AcceptedCount);
    }

    [NetnsFact]
    public async Task Inbound_connections_to_app_ports_reach_15006_and_excluded_ports_reach_the_app()
    {
        using var network = PodNetwork.Create(["app", "client"], subnet: 3);
        var (app, client) = (network["app"], network["client"]);
        Install(app, DryRunGoldenTests.InjectedDefaults);
        await using var inbound = NamespaceListener.Start(app.Namespace, 15006, "app:15006");
        await using var appPort = NamespaceListener.Start(app.Namespace, 8080, "app:8080");
        await using var health = NamespaceListener.Start(app.Namespace, 15021, "app:15021");

        Assert.Equal("app:15006", await GreetingAsync(client, app.EndPoint(8080)));
        var captured = await inbound.NextConnectionAsync(Deadline);
        Assert.Equal(app.EndPoint(8080), captured.OriginalDestination);
        Assert.Equal(client.Address, captured.Remote.Address);

        // -d 15090,15021,15020: the sidecar's own ports are not captured.
        Assert.Equal("app:15021", await GreetingAsync(client, app.EndPoint(15021)));
        Assert.Equal(0, appPort.AcceptedCount);
    }

    [NetnsFact]
    public async Task Excluded_outbound_ports_and_cidrs_bypass_capture()
    {
        using var network = PodNetwork.Create(["app", "peer", "other"], subnet: 4);
        var (app, peer, other) = (network["app"], network["peer"], network["other"]);
        Install(app, "-u", "1337", "-i", "*", "-o", "5432", "-x", other.Address + "/32");
        await using var outbound = NamespaceListener.Start(app.Namespace, 15001, "app:15001");
        await using var database = NamespaceListener.Start(peer.Namespace, 5432, "peer:5432");
        await using var peerService = NamespaceListener.Start(peer.Namespace, 8080, "peer:8080");
        await using var otherService = NamespaceListener.Start(other.Namespace, 8080, "other:8080");

        Assert.Equal("peer:5432", await GreetingAsync(app, peer.EndPoint(5432)));
        Assert.Equal("other:8080", await GreetingAsync(app, other.EndPoint(8080)));
        Assert.Equal("app:15001", await GreetingAsync(app, peer.EndPoint(8080)));
        Assert.Equal(0, peerService.AcceptedCount);
    }

    [NetnsFact]
    public async Task Only_included_cidrs_are_captured()
    {
        using var network = PodNetwork.Create(["app", "peer", "other"], subnet: 5);
        var (app, peer, other) = (network["app"], network["peer"], network["other"]);
        Install(app, "-u", "1337", "-i", peer.Address + "/32");
        await using var outbound = NamespaceListener.Start(app.Namespace, 15001, "app:15001");
        await using var otherService = NamespaceListener.Start(other.Namespace, 8080, "other:8080");

        Assert.Equal("app:15001", await GreetingAsync(app, peer.EndPoint(8080)));
        Assert.Equal("other:8080", await GreetingAsync(app, other.EndPoint(8080)));
    }

    [NetnsFact]
    public async Task Cleanup_removes_every_chain_and_jump_it_added_and_keeps_foreign_rules()
    {
        using var network = PodNetwork.Create(["app", "peer"], subnet: 6);
        var (app, peer) = (network["app"], network["peer"]);
        app.Namespace.Exec("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "--dport", "9999", "-j", "RETURN").EnsureSuccess();
        app.Namespace.Exec("iptables", "-t", "mangle", "-N", "FOREIGN").EnsureSuccess();
        app.Namespace.Exec("iptables", "-t", "mangle", "-A", "PREROUTING", "-p", "udp", "-j", "FOREIGN").EnsureSuccess();
        var before = Rules(app);
        Install(app, DryRunGoldenTests.InjectedDefaults);

        var cleanup = SidecarInit.RunIn(app.Namespace, ["cleanup", .. DryRunGoldenTests.InjectedDefaults]);

        Assert.True(cleanup.Succeeded, cleanup.ToString());
        var after = Rules(app);
        Assert.DoesNotContain("ISTIO", after, StringComparison.Ordinal);
        Assert.Equal(before, after);
        await using var service = NamespaceListener.Start(peer.Namespace, 8080, "peer:8080");
        Assert.Equal("peer:8080", await GreetingAsync(app, peer.EndPoint(8080)));
    }

    [NetnsFact]
    public void Cleanup_without_the_install_flags_still_removes_every_istio_chain()
    {
        using var network = PodNetwork.Create(["app"], subnet: 7);
        var app = network["app"];
        Install(app, ["-m", "TPROXY", "--drop-invalid", .. DryRunGoldenTests.InjectedDefaults]);

        var cleanup = SidecarInit.RunIn(app.Namespace, "cleanup");

        Assert.True(cleanup.Succeeded, cleanup.ToString());
        Assert.DoesNotContain("ISTIO", Rules(app), StringComparison.Ordinal);
    }

    [NetnsFact]
    public void A_rerun_changes_nothing_and_reconcile_replaces_changed_rules()
    {
        using var network = PodNetwork.Create(["app"], subnet: 8);
        var app = network["app"];
        Install(app, DryRunGoldenTests.InjectedDefaults);
        var first = Rules(app);

        var rerun = SidecarInit.RunIn(app.Namespace, DryRunGoldenTests.InjectedDefaults);
        Assert.True(rerun.Succeeded, rerun.ToString());
        Assert.Contains("nothing to apply", rerun.Stderr, StringComparison.Ordinal);
        Assert.Equal(first, Rules(app));

        Install(app, "-u", "1337", "-i", "*", "-b", "9080", "--reconcile");
        var inbound = app.Namespace.Exec("iptables", "-t", "nat", "-S", "ISTIO_INBOUND").EnsureSuccess().Stdout;
        Assert.Contains("--dport 9080 -j ISTIO_IN_REDIRECT", inbound, StringComparison.Ordinal);
        Assert.DoesNotContain("15090", inbound, StringComparison.Ordinal);
        // Reconcile took its guardrails down again.
        Assert.DoesNotContain("DROP", app.Namespace.Exec("iptables", "-S").EnsureSuccess().Stdout, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task Dns_to_the_pods_nameserver_is_redirected_to_the_agent()
    {
        using var network = PodNetwork.Create(["app", "dns"], subnet: 9);
        var (app, dns) = (network["app"], network["dns"]);
        var resolv = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(resolv, $"nameserver {dns.Address}\n");
            Install(app, ["--redirect-dns", "--resolv-conf", resolv, .. DryRunGoldenTests.InjectedDefaults]);
            using var agent = app.Namespace.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            agent.Bind(new IPEndPoint(IPAddress.Any, 15053));
            using var query = app.Namespace.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

            await query.SendToAsync("query"u8.ToArray(), new IPEndPoint(dns.Address, 53));

            using var deadline = new CancellationTokenSource(Deadline);
            var buffer = new byte[64];
            var received = await agent.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), deadline.Token);
            Assert.Equal("query", System.Text.Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes));
        }
        finally
        {
            File.Delete(resolv);
        }
    }

    [NetnsFact("ip6tables", "ip6tables-restore")]
    public async Task A_dual_stack_pod_gets_the_ip6tables_rules_too()
    {
        using var network = PodNetwork.Create(["app", "peer"], subnet: 10, ipv6: true);
        var (app, peer) = (network["app"], network["peer"]);
        Install(app, [.. DryRunGoldenTests.InjectedDefaults, "--dual-stack"]);
        await using var outbound = NamespaceListener.Start(app.Namespace, 15001, "app:15001v6", AddressFamily.InterNetworkV6);

        Assert.Equal("app:15001v6", await GreetingAsync(app, new IPEndPoint(peer.AddressV6!, 8080)));
        var captured = await outbound.NextConnectionAsync(Deadline);
        Assert.Equal(new IPEndPoint(peer.AddressV6!, 8080), captured.OriginalDestination);
        // The inbound passthrough source the proxy binds on an IPv6 pod.
        Assert.Contains("inet6 ::6/128", app.Namespace.Exec("ip", "-6", "addr", "show", "dev", "lo").EnsureSuccess().Stdout, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task Tproxy_mode_hands_inbound_connections_over_with_their_original_addresses()
    {
        using var network = PodNetwork.Create(["app", "client"], subnet: 11);
        var (app, client) = (network["app"], network["client"]);
        Install(app, "-u", "1337", "-m", "TPROXY", "-b", "*", "-d", "15021");
        Assert.Contains("fwmark 0x539 lookup 133", app.Namespace.Exec("ip", "rule").EnsureSuccess().Stdout, StringComparison.Ordinal);
        await using var inbound = NamespaceListener.Start(app.Namespace, 15006, "app:15006", transparent: true);
        await using var health = NamespaceListener.Start(app.Namespace, 15021, "app:15021");

        Assert.Equal("app:15006", await GreetingAsync(client, app.EndPoint(8080)));
        var captured = await inbound.NextConnectionAsync(Deadline);
        // No NAT: the proxy's socket has the app's address and port as its own, and sees the real client.
        Assert.Equal(app.EndPoint(8080), captured.Local);
        Assert.Equal(client.Address, captured.Remote.Address);
        Assert.Equal("app:15021", await GreetingAsync(client, app.EndPoint(15021)));

        var cleanup = SidecarInit.RunIn(app.Namespace, "cleanup", "-u", "1337", "-m", "TPROXY", "-b", "*", "-d", "15021");
        Assert.True(cleanup.Succeeded, cleanup.ToString());
        Assert.DoesNotContain("ISTIO", Rules(app), StringComparison.Ordinal);
        Assert.DoesNotContain("lookup 133", app.Namespace.Exec("ip", "rule").EnsureSuccess().Stdout, StringComparison.Ordinal);
    }

    [NetnsFact]
    public void Without_iptables_on_path_it_fails_saying_so()
    {
        using var network = PodNetwork.Create(["app"], subnet: 12);
        var app = network["app"];

        var result = app.Namespace.Exec(SidecarInit.Command(DryRunGoldenTests.InjectedDefaults),
            new Dictionary<string, string?> { ["PATH"] = "/nonexistent" });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("iptables is not installed: none of iptables-legacy-save, iptables-nft-save, iptables-save was found on PATH", result.Stderr, StringComparison.Ordinal);
    }

    [NetnsFact]
    public void Without_net_admin_it_fails_saying_so()
    {
        using var network = PodNetwork.Create(["app"], subnet: 13);
        var app = network["app"];

        // Still root, but with NET_ADMIN gone from the bounding set it is not regained at exec.
        var result = app.Namespace.Exec(["setpriv", "--inh-caps=-all", "--bounding-set=-net_admin", "--",
            .. SidecarInit.Command(DryRunGoldenTests.InjectedDefaults)], environment: null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("needs the NET_ADMIN capability", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("ISTIO", Rules(app), StringComparison.Ordinal);
    }

    private static void Install(Pod pod, params string[] args)
    {
        var result = SidecarInit.RunIn(pod.Namespace, args);
        Assert.True(result.Succeeded, result.ToString());
    }

    /// <summary>
    /// Every rule and user chain, per table. Tables holding only empty built-in chains are left out: detecting the
    /// iptables variant adds and deletes a no-op filter rule, as istio-iptables does, which may leave such a table.
    /// </summary>
    private static string Rules(Pod pod)
    {
        var lines = new List<string>();
        var table = string.Empty;
        foreach (var line in pod.Namespace.Exec("iptables-save").EnsureSuccess().Stdout.Split('\n'))
        {
            if (line.StartsWith('*'))
            {
                table = line;
            }
            else if (line.StartsWith("-A ", StringComparison.Ordinal) || (line.StartsWith(':') && line.Contains(" - ", StringComparison.Ordinal)))
            {
                lines.Add($"{table} {line.Split(" [")[0]}");
            }
        }
        return string.Join('\n', lines);
    }

    private static async Task<string> GreetingAsync(Pod client, IPEndPoint target)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        using var socket = await client.Namespace.ConnectAsync(target, deadline.Token);
        return await NamespaceListener.ReadGreetingAsync(socket, deadline.Token);
    }

    /// <summary>Connects as another user (bash's /dev/tcp) and returns the greeting it read.</summary>
    private static string GreetingAs(Pod client, int uid, IPEndPoint target)
    {
        var script = $"exec 3<>/dev/tcp/{target.Address}/{target.Port} && head -n1 <&3";
        return client.Namespace.Exec(NetworkNamespace.AsUser(uid, uid, ["bash", "-c", script]), environment: null, Deadline)
            .EnsureSuccess().Stdout.Trim();
    }

    /// <summary>The IPv4 nat rules a dry run of the same flags prints for this pod.</summary>
    private static List<(string Chain, string[] Arguments)> PlannedNatRules(Pod pod, string[] args)
    {
        var dryRun = SidecarInit.Run([.. args, "--dry-run", "--pod-ips", pod.Address.ToString()]);
        Assert.Equal(0, dryRun.ExitCode);
        return dryRun.Stdout.Split('\n')
            .SkipWhile(l => l != "* nat").TakeWhile(l => l != "COMMIT")
            .Where(l => l.StartsWith("-A ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(f => (f[1], f[2..]))
            .ToList();
    }

    private static string Target(string rule) => Target(rule.Split(' '));

    private static string Target(string[] fields) => string.Join(' ', fields.SkipWhile(f => f != "-j"));
}
