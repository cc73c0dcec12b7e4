using System.Net;
using System.Text;
using Sidecar.Testing;
using Sidecar.Testing.Netns;

namespace Sidecar.FunctionalTests.Interception;

/// <summary>
/// Istio's "DNS proxying: external TCP services without VIPs": two MESH_EXTERNAL ServiceEntries on the same TCP port,
/// resolution DNS, no addresses. Their names resolve (at the pod's nameserver) to two TCP echo servers outside the pod,
/// in the node's namespace, each prefixing its replies with its own word. The pod's sidecar captures DNS and
/// auto-allocates addresses (<c>--dns-capture --dns-auto-allocate</c>).
/// </summary>
public sealed class DnsCaptureAutoAllocatePod : IAsyncLifetime
{
    public const string External1 = "external-1.tcp-echo.example";

    public const string External2 = "external-2.tcp-echo.example";

    /// <summary>Where the nameserver says each name is: addresses of the node (not the pod's subnet), port 9000.</summary>
    public static readonly IPAddress Echo1 = IPAddress.Parse("198.51.100.1");

    public static readonly IPAddress Echo2 = IPAddress.Parse("198.51.100.2");

    private readonly List<TcpApp> _echoes = [];

    public DnsCapturePod Pod { get; } = new(new DnsCapturePodOptions
    {
        Subnet = 54,
        Records = new Dictionary<string, IPAddress> { [External1] = Echo1, [External2] = Echo2 },
        MeshConfig = $$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-svc-1, namespace: default}
            spec:
              hosts: [{{External1}}]
              location: MESH_EXTERNAL
              resolution: DNS
              ports:
              - {number: 9000, name: tcp, protocol: TCP}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-svc-2, namespace: default}
            spec:
              hosts: [{{External2}}]
              location: MESH_EXTERNAL
              resolution: DNS
              ports:
              - {number: 9000, name: tcp, protocol: TCP}
            """,
        SidecarArguments = ["--dns-auto-allocate"],
    });

    public static string? SkipReason => NetnsPrerequisites.MissingReason(["getent", "bash"]);

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        await Pod.InitializeAsync();
        var node = Pod.Network.Node;
        foreach (var (address, word) in new[] { (Echo1, "one"), (Echo2, "two") })
        {
            node.Exec("ip", "addr", "add", address + "/32", "dev", "br0").EnsureSuccess();
            var listener = node.CreateTcpSocket();
            listener.Bind(new IPEndPoint(address, 9000));
            listener.Listen(16);
            // Answers the first line with "WORD LINE", then closes its side.
            _echoes.Add(new TcpApp(listener, async stream =>
            {
                using var reader = new StreamReader(stream, leaveOpen: true);
                var line = await reader.ReadLineAsync();
                await stream.WriteAsync(Encoding.UTF8.GetBytes($"{word} {line}\n"));
            }));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var echo in _echoes)
        {
            echo.Dispose();
        }

        await Pod.DisposeAsync();
    }
}

public sealed class DnsCaptureAutoAllocateTests : IClassFixture<DnsCaptureAutoAllocatePod>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly DnsCaptureAutoAllocatePod _fixture;

    public DnsCaptureAutoAllocateTests(DnsCaptureAutoAllocatePod fixture) => _fixture = fixture;

    private DnsCapturePod Pod => _fixture.Pod;

    [NetnsFact("getent", "bash")]
    public async Task External_tcp_services_without_addresses_on_one_port_are_told_apart_by_their_auto_allocated_vips()
    {
        // The app's lookups are answered by the sidecar with the VIPs it allocated, in host order, not with the
        // addresses the nameserver knows (198.51.100.x).
        Assert.Equal([IPAddress.Parse("240.240.0.1")], Pod.Resolve(DnsCaptureAutoAllocatePod.External1));
        Assert.Equal([IPAddress.Parse("240.240.0.2")], Pod.Resolve(DnsCaptureAutoAllocatePod.External2));

        // Each VIP has a listener of its own on port 9000, where without VIPs both would share 0.0.0.0_9000.
        var listeners = await Pod.Sidecar.Client.GetStringAsync($"{Pod.Sidecar.AdminUrl}/config_dump?resource=dynamic_listeners");
        Assert.Contains("\"240.240.0.1_9000\"", listeners, StringComparison.Ordinal);
        Assert.Contains("\"240.240.0.2_9000\"", listeners, StringComparison.Ordinal);
        Assert.DoesNotContain("\"0.0.0.0_9000\"", listeners, StringComparison.Ordinal);

        // The app (uid 1000) connects by name: the same port, each reaching its own echo server through its own
        // cluster, whose endpoint the sidecar resolved itself (uid 1337, not redirected) at the real nameserver.
        Assert.Equal("one hello 1", SendLine(DnsCaptureAutoAllocatePod.External1, "hello 1"));
        Assert.Equal("two hello 2", SendLine(DnsCaptureAutoAllocatePod.External2, "hello 2"));
        Assert.Equal("one hello 3", SendLine(DnsCaptureAutoAllocatePod.External1, "hello 3"));

        var clusters = await Pod.Sidecar.Client.GetStringAsync($"{Pod.Sidecar.AdminUrl}/clusters");
        Assert.Equal(2, ConnectionsTotal(clusters, $"outbound|9000||{DnsCaptureAutoAllocatePod.External1}::{DnsCaptureAutoAllocatePod.Echo1}:9000"));
        Assert.Equal(1, ConnectionsTotal(clusters, $"outbound|9000||{DnsCaptureAutoAllocatePod.External2}::{DnsCaptureAutoAllocatePod.Echo2}:9000"));
        Assert.True(Pod.Nameserver.CountFor(DnsCaptureAutoAllocatePod.External1) > 0 && Pod.Nameserver.CountFor(DnsCaptureAutoAllocatePod.External2) > 0,
            $"the sidecar resolved its clusters' hosts at the nameserver: {string.Join(", ", Pod.Nameserver.Queries.Select(q => q.Name))}");
    }

    /// <summary>As the app's user, bash's /dev/tcp to NAME:9000 (glibc resolves the name), one line out, one line back.</summary>
    private string SendLine(string name, string line)
    {
        var script = $"exec 3<>/dev/tcp/{name}/9000 && echo '{line}' >&3 && head -n1 <&3";
        var output = Pod.App.Namespace.Exec(NetworkNamespace.AsUser(1000, 1000, ["bash", "-c", script]), environment: null, Deadline);
        Assert.True(output.ExitCode == 0, $"bash to {name}:9000 exited {output.ExitCode}: {output.Stderr}\nsidecar:\n{Pod.Sidecar.Output}");
        return output.Stdout.Trim();
    }

    private static long ConnectionsTotal(string clusters, string endpoint) =>
        clusters.Split('\n')
            .Where(l => l.StartsWith(endpoint + "::cx_total::", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf("::", StringComparison.Ordinal) + 2)..], System.Globalization.CultureInfo.InvariantCulture));
}
