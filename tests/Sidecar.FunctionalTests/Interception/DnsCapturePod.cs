using System.Globalization;
using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.FunctionalTests.Telemetry;
using Sidecar.Testing;
using Sidecar.Testing.Netns;

namespace Sidecar.FunctionalTests.Interception;

/// <summary>
/// A pod with DNS capture as Istio injects it (<c>ISTIO_META_DNS_CAPTURE</c>): its init ran with the injected flags and
/// <c>--redirect-dns</c>, its sidecar (uid 1337, <c>--bind 0.0.0.0</c>) runs the DNS proxy on 15053, and its
/// resolv.conf is kubelet's, naming a nameserver on the node (a fake kube-dns at 10.77.N.254:53, in the node's
/// namespace). The resolv.conf is <c>/etc/netns/POD/resolv.conf</c>, which <c>ip netns exec</c> bind-mounts over
/// <c>/etc/resolv.conf</c> for everything run in the pod: the init program, the sidecar and the apps alike.
/// </summary>
public sealed class DnsCapturePod : IAsyncLifetime
{
    public const string ClusterIp = "10.96.14.7";

    private readonly DnsCapturePodOptions _options;

    public DnsCapturePod()
        : this(new DnsCapturePodOptions())
    {
    }

    /// <summary>A variant of the pod: another subnet, more names for the nameserver, more config, more sidecar flags.</summary>
    internal DnsCapturePod(DnsCapturePodOptions options) => _options = options;

    /// <summary>What the nameserver says of the service's name, were it asked: never the right answer.</summary>
    public static readonly IPAddress Decoy = IPAddress.Parse("192.0.2.99");

    public static readonly IPAddress ExternalAddress = IPAddress.Parse("203.0.113.7");

    private string? _etcNetns;

    public PodNetwork Network { get; private set; } = null!;

    public Pod App => Network["app"];

    public IPAddress NameserverAddress { get; private set; } = null!;

    internal FakeNameserver Nameserver { get; private set; } = null!;

    public SidecarProcess Sidecar { get; private set; } = null!;

    public ConfigDirectory Config { get; } = new();

    public static string? SkipReason => NetnsPrerequisites.MissingReason(["getent"]);

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        Network = PodNetwork.Create(["app"], subnet: _options.Subnet);
        var node = App.Address.GetAddressBytes();
        node[3] = 254;
        NameserverAddress = new IPAddress(node);
        _etcNetns = Path.Combine("/etc/netns", App.Namespace.Name);
        Directory.CreateDirectory(_etcNetns);
        await File.WriteAllTextAsync(Path.Combine(_etcNetns, "resolv.conf"), string.Create(CultureInfo.InvariantCulture,
            $"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver {NameserverAddress}\noptions ndots:5\n"));

        var records = new Dictionary<string, IPAddress>
        {
            ["external.example.com"] = ExternalAddress,
            ["reviews.default.svc.cluster.local"] = Decoy,
        };
        foreach (var (name, address) in _options.Records)
        {
            records[name] = address;
        }

        Nameserver = FakeNameserver.Start(NameserverAddress, records, Network.Node);

        Config.Write("cluster.yaml", $"""
            apiVersion: v1
            kind: Service
            metadata: {"{"}name: reviews, namespace: default{"}"}
            spec:
              clusterIP: {ClusterIp}
              ports: [{"{"}name: http, port: 9080, protocol: TCP{"}"}]
            """);
        if (_options.MeshConfig is { } mesh)
        {
            Config.Write("mesh.yaml", mesh);
        }

        CapturedMesh.Init(App, [.. CapturedMesh.InjectedInitFlags, "--redirect-dns"]);
        Sidecar = await SidecarProcess.StartInPodAsync(App, Config.Path, ["--namespace", "default", "--dns-capture", .. _options.SidecarArguments]);
    }

    public async Task DisposeAsync()
    {
        if (Sidecar is not null)
        {
            await Sidecar.DisposeAsync();
        }

        if (Nameserver is not null)
        {
            await Nameserver.DisposeAsync();
        }

        Network?.Dispose();
        if (_etcNetns is not null && Directory.Exists(_etcNetns))
        {
            Directory.Delete(_etcNetns, recursive: true);
        }

        Config.Dispose();
    }

    /// <summary>
    /// <c>getent ahostsv4 NAME</c> as an application user of the pod (uid 1000, not the proxy): glibc's resolver
    /// reading the pod's resolv.conf. Returns the distinct addresses, or throws with getent's output when it fails.
    /// </summary>
    public IReadOnlyList<IPAddress> Resolve(string name, bool overTcp = false)
    {
        // RES_OPTIONS adds resolv.conf options from the environment; use-vc makes glibc query over TCP.
        var output = App.Namespace.Exec(NetworkNamespace.AsUser(1000, 1000, ["getent", "ahostsv4", name]),
            overTcp ? new Dictionary<string, string?> { ["RES_OPTIONS"] = "use-vc" } : null).EnsureSuccess();
        return [.. output.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => IPAddress.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]))
            .Distinct()];
    }

    /// <summary>The DNS proxy's counters, read from the sidecar's Prometheus endpoint inside the pod.</summary>
    public async Task<(long Requests, long UpstreamRequests, long UpstreamFailures)> DnsMetricsAsync()
    {
        using var client = NamespaceHttp.CreateClient(App.Namespace);
        var samples = PrometheusScrape.Parse(await client.GetStringAsync("http://127.0.0.1:15090/stats/prometheus"));
        long Value(string name) => (long)Assert.Single(samples, s => s.Name == name).Value;
        return (Value("istio_agent_dns_requests_total"), Value("istio_agent_dns_upstream_requests_total"), Value("istio_agent_dns_upstream_failures_total"));
    }
}

/// <summary>What a <see cref="DnsCapturePod"/> adds to the default one; the defaults give the default pod.</summary>
internal sealed record DnsCapturePodOptions
{
    /// <summary>The third octet N of the pod network 10.77.N.0/24 (the nameserver is 10.77.N.254).</summary>
    public int Subnet { get; init; } = 53;

    /// <summary>More A records for the nameserver, name (no trailing dot) to address.</summary>
    public IReadOnlyDictionary<string, IPAddress> Records { get; init; } = new Dictionary<string, IPAddress>();

    /// <summary>More config for the sidecar's directory (mesh.yaml), or none.</summary>
    public string? MeshConfig { get; init; }

    /// <summary>More arguments for <c>sidecar run</c>, after <c>--dns-capture</c>.</summary>
    public IReadOnlyList<string> SidecarArguments { get; init; } = [];
}
