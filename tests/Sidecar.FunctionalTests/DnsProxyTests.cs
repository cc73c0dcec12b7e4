using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.FunctionalTests.Telemetry;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// pilot-agent's DNS proxy (<c>--dns-capture</c>) in a real sidecar process, queried over real UDP and TCP sockets:
/// the mesh's names answered from the config's name table, any other forwarded to the nameserver resolv.conf names
/// (a fake one on port 53 of its own loopback address, counting what reaches it) and its answer relayed.
/// </summary>
public sealed class DnsProxyTests
{
    private const string ClusterIp = "10.96.14.7";
    private const string ServiceEntryVip = "240.240.0.10";
    private static readonly IPAddress ExternalAddress = IPAddress.Parse("203.0.113.7");

    private const string Cluster = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Service
          metadata: {name: reviews, namespace: default}
          spec:
            clusterIP: 10.96.14.7
            ports: [{name: http, port: 9080, protocol: TCP, targetPort: 9080}]
            selector: {app: reviews}
        # Headless: no VIP, so its name answers with its endpoints' addresses.
        - apiVersion: v1
          kind: Service
          metadata: {name: db, namespace: default}
          spec:
            clusterIP: None
            ports: [{name: tcp-db, port: 5432, protocol: TCP}]
            selector: {app: db}
        - apiVersion: discovery.k8s.io/v1
          kind: EndpointSlice
          metadata:
            name: db-abc
            namespace: default
            labels: {kubernetes.io/service-name: db}
          addressType: IPv4
          endpoints:
          - addresses: [10.1.0.11]
            hostname: db-0
            conditions: {ready: true}
            targetRef: {kind: Pod, name: db-0, namespace: default}
          - addresses: [10.1.0.12]
            conditions: {ready: true}
          ports: [{name: tcp-db, port: 5432, protocol: TCP}]
        # A StatefulSet's pod: its subdomain gives it a name of its own under the headless service.
        - apiVersion: v1
          kind: Pod
          metadata: {name: db-0, namespace: default, labels: {app: db}}
          spec:
            hostname: db-0
            subdomain: db
            containers: [{name: db, image: postgres}]
          status: {phase: Running, podIP: 10.1.0.11}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: partner, namespace: default}
        spec:
          hosts: [api.partner.example]
          addresses: [240.240.0.10]
          location: MESH_EXTERNAL
          resolution: DNS
          ports: [{number: 443, name: tls, protocol: TLS}]
        """;

    [PrivilegedPortFact]
    public async Task Mesh_names_are_answered_from_the_name_table_and_other_names_are_relayed_from_the_nameserver()
    {
        await using var dns = await DnsSidecar.StartAsync(Cluster, upstreamListens: true);
        var sent = 0;
        async Task<DnsReply> Udp(string name, ushort type = DnsWire.A)
        {
            sent++;
            var id = (ushort)Random.Shared.Next(1, 65535);
            var reply = await DnsExchange.UdpAsync(dns.EndPoint, DnsWire.Query(id, name, type));
            Assert.Equal(id, reply.Id);
            Assert.True(reply.IsResponse);
            Assert.Equal(name.TrimEnd('.') + ".", reply.QuestionName);
            return reply;
        }

        // The Service's FQDN and the short forms a pod of its namespace resolves, authoritatively, TTL 30.
        string[] serviceNames = ["reviews.default.svc.cluster.local", "reviews", "reviews.default", "reviews.default.svc"];
        foreach (var name in serviceNames)
        {
            var reply = await Udp(name);
            Assert.True(reply.Rcode == DnsWire.NoError && reply.Authoritative && !reply.RecursionAvailable, $"{name}: {reply}");
            var record = Assert.Single(reply.Answers);
            Assert.Equal((name + ".", DnsWire.A, 30u, IPAddress.Parse(ClusterIp)), (record.Name, record.Type, record.Ttl, record.Address));
        }

        // Case does not matter, and the question comes back as it was asked (the helper checks the echo).
        Assert.Equal([IPAddress.Parse(ClusterIp)], (await Udp("Reviews.Default.SVC.cluster.local")).Addresses);

        // Known, but no IPv6 address: NOERROR with no records, answered here rather than sent upstream.
        var aaaa = await Udp("reviews.default.svc.cluster.local", DnsWire.Aaaa);
        Assert.True(aaaa.Rcode == DnsWire.NoError && aaaa.Authoritative && aaaa.Answers.Count == 0, aaaa.ToString());

        // A ServiceEntry's addresses, and a headless Service's endpoints.
        var partner = await Udp("api.partner.example");
        Assert.True(partner.Authoritative, partner.ToString());
        Assert.Equal([IPAddress.Parse(ServiceEntryVip)], partner.Addresses);
        Assert.Equal(30u, partner.Answers[0].Ttl);
        var headless = await Udp("db.default.svc.cluster.local");
        Assert.True(headless.Authoritative, headless.ToString());
        Assert.Equal(new[] { "10.1.0.11", "10.1.0.12" }, headless.Addresses.Select(a => a.ToString()).Order(StringComparer.Ordinal));
        var statefulPod = await Udp("db-0.db.default.svc.cluster.local");
        Assert.True(statefulPod.Authoritative, statefulPod.ToString());
        Assert.Equal([IPAddress.Parse("10.1.0.11")], statefulPod.Addresses);

        // A resolver tries the first search domain first: the proxy answers that expansion as a CNAME to the name.
        var expanded = await Udp("api.partner.example.default.svc.cluster.local");
        Assert.True(expanded.Authoritative, expanded.ToString());
        Assert.Equal(2, expanded.Answers.Count);
        Assert.Equal((DnsWire.Cname, "api.partner.example."), (expanded.Answers[0].Type, expanded.Answers[0].Target));
        Assert.Equal(("api.partner.example.", IPAddress.Parse(ServiceEntryVip)), (expanded.Answers[1].Name, expanded.Answers[1].Address));

        // Over TCP, several queries on one connection, answered in order.
        var tcpIds = serviceNames.Select((_, i) => (ushort)(4000 + i)).ToArray();
        var tcpReplies = await DnsExchange.TcpAsync(dns.EndPoint, [.. serviceNames.Select((name, i) => DnsWire.Query(tcpIds[i], name))]);
        sent += serviceNames.Length;
        Assert.Equal(tcpIds, tcpReplies.Select(r => r.Id));
        Assert.All(tcpReplies, r => Assert.True(r.Authoritative && r.Answers.Single().Ttl == 30 && r.Addresses.Single().Equals(IPAddress.Parse(ClusterIp)), r.ToString()));

        // None of that reached the nameserver.
        Assert.Empty(dns.Upstream.Queries);

        // Another name: forwarded, the nameserver's own reply relayed (its TTL, RA, not authoritative), over UDP ...
        var external = await Udp("external.example.com");
        Assert.True(external.Rcode == DnsWire.NoError && !external.Authoritative && external.RecursionAvailable, external.ToString());
        var relayed = Assert.Single(external.Answers);
        Assert.Equal((FakeNameserver.Ttl, ExternalAddress), (relayed.Ttl, relayed.Address));
        Assert.Equal([false], dns.Upstream.Queries.Where(q => q.Name == "external.example.com.").Select(q => q.Tcp));

        // ... and over TCP, over TCP to the nameserver too.
        var externalTcp = await DnsExchange.TcpAsync(dns.EndPoint, DnsWire.Query(0xBEEF, "external.example.com"));
        sent++;
        Assert.Equal(0xBEEF, externalTcp.Id);
        Assert.True(externalTcp.RecursionAvailable && !externalTcp.Authoritative, externalTcp.ToString());
        Assert.Equal((FakeNameserver.Ttl, ExternalAddress), (externalTcp.Answers.Single().Ttl, externalTcp.Answers.Single().Address));
        Assert.Equal([false, true], dns.Upstream.Queries.Where(q => q.Name == "external.example.com.").Select(q => q.Tcp));

        // The nameserver's NXDOMAIN is relayed as it is; and a type other than A/AAAA of a mesh name is the nameserver's.
        Assert.Equal(DnsWire.NxDomain, (await Udp("nowhere.example.com")).Rcode);
        var txt = await Udp("reviews.default.svc.cluster.local", DnsWire.Txt);
        Assert.True(!txt.Authoritative && txt.RecursionAvailable, txt.ToString());
        Assert.Equal(1, dns.Upstream.Queries.Count(q => q.Name == "reviews.default.svc.cluster.local." && q.Type == DnsWire.Txt));
        Assert.Equal(0, dns.Upstream.Queries.Count(q => q.Type is DnsWire.A or DnsWire.Aaaa && q.Name.StartsWith("reviews", StringComparison.Ordinal)));

        // The agent's counters: every query, every forward, no failure.
        var metrics = await dns.MetricsAsync();
        Assert.Equal(sent, metrics.Requests);
        Assert.Equal(dns.Upstream.Queries.Count, metrics.UpstreamRequests);
        Assert.Equal(4, metrics.UpstreamRequests);
        Assert.Equal(0, metrics.UpstreamFailures);
    }

    [PrivilegedPortFact]
    public async Task DNS_PROXY_ADDR_on_port_53_puts_the_proxy_where_a_machine_without_capture_rules_sends_its_queries()
    {
        // pilot-agent's DNS_PROXY_ADDR (a VM or container without iptables: the proxy itself on port 53, as root).
        var nameserver = LoopbackAddresses.Next();
        await using var upstream = FakeNameserver.Start(nameserver, new Dictionary<string, IPAddress> { ["external.example.com"] = ExternalAddress });
        using var config = new ConfigDirectory();
        config.Write("cluster.yaml", Cluster);
        using var resolvConf = TempResolvConf.Write($"nameserver {nameserver}\n");
        var proxy = new IPEndPoint(LoopbackAddresses.Next(), 53);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, arguments: ["--namespace", "default", "--dns-capture", "--resolv-conf", resolvConf.Path],
            environment: new Dictionary<string, string> { ["DNS_PROXY_ADDR"] = $"{proxy.Address}:53" });

        var mesh = await DnsExchange.UdpAsync(proxy, DnsWire.Query(0x5301, "reviews.default.svc.cluster.local"));
        Assert.True(mesh.Authoritative, mesh.ToString());
        Assert.Equal([IPAddress.Parse(ClusterIp)], mesh.Addresses);
        var external = await DnsExchange.TcpAsync(proxy, DnsWire.Query(0x5302, "external.example.com"));
        Assert.Equal([ExternalAddress], external.Addresses);
        Assert.Equal(1, upstream.CountFor("external.example.com."));
    }

    [Ipv6LoopbackFact]
    public async Task On_localhost_it_listens_on_the_loopback_address_of_each_nameserver_family_as_pilot_agent_does()
    {
        // pilot-agent binds "localhost" as 127.0.0.1 and, where resolv.conf names IPv6 nameservers, ::1: the ip6tables
        // DNS capture redirects an IPv6 pod's queries to [::1]:15053.
        using var config = new ConfigDirectory();
        config.Write("cluster.yaml", Cluster);
        using var resolvConf = TempResolvConf.Write("nameserver 192.0.2.53\nnameserver fd00::53\n");
        var port = FreePort.Get();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, bind: IPAddress.Loopback,
            arguments: ["--namespace", "default", "--dns-capture", "--dns-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--resolv-conf", resolvConf.Path]);

        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            var reply = await DnsExchange.UdpAsync(new IPEndPoint(address, port), DnsWire.Query(0x6601, "reviews"));
            Assert.True(reply.Authoritative, $"{address}: {reply}");
            Assert.Equal([IPAddress.Parse(ClusterIp)], reply.Addresses);
            var tcp = await DnsExchange.TcpAsync(new IPEndPoint(address, port), DnsWire.Query(0x6602, "reviews.default"));
            Assert.Equal([IPAddress.Parse(ClusterIp)], tcp.Addresses);
        }
    }

    [PrivilegedPortFact]
    public async Task With_DNS_FORWARD_PARALLEL_every_nameserver_is_asked_at_once_and_the_first_answer_wins()
    {
        // pilot-agent's DNS_FORWARD_PARALLEL. The answering nameserver is listed first: asked in turn, the second one
        // would never see the query; asked in parallel, it sees it too (and its silence costs nothing).
        var answering = LoopbackAddresses.Next();
        await using var upstream = FakeNameserver.Start(answering, new Dictionary<string, IPAddress> { ["external.example.com"] = ExternalAddress });
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(LoopbackAddresses.Next(), 53));
        using var config = new ConfigDirectory();
        config.Write("cluster.yaml", Cluster);
        using var resolvConf = TempResolvConf.Write($"nameserver {answering}\nnameserver {((IPEndPoint)silent.LocalEndPoint!).Address}\n");
        var port = FreePort.Get();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path,
            arguments: ["--namespace", "default", "--dns-capture", "--dns-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--resolv-conf", resolvConf.Path],
            environment: new Dictionary<string, string> { ["DNS_FORWARD_PARALLEL"] = "true" });

        var reply = await DnsExchange.UdpAsync(new IPEndPoint(sidecar.Bind, port), DnsWire.Query(0x7701, "external.example.com"));
        Assert.Equal([ExternalAddress], reply.Addresses);

        var forwarded = new byte[512];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var length = await silent.ReceiveAsync(forwarded, System.Net.Sockets.SocketFlags.None, deadline.Token);
        Assert.True(length > 12);
        Assert.Equal(0x7701, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(forwarded));
    }

    [Fact]
    public async Task A_DNS_PROXY_ADDR_that_is_not_host_and_port_is_refused_at_start_with_its_name()
    {
        using var config = new ConfigDirectory();
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { SidecarProcess.SidecarAssembly, "run", "--config", config.Path, "--bind", LoopbackAddresses.Next().ToString(), "--dns-capture" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DNS_PROXY_ADDR"] = "localhost";
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("DNS_PROXY_ADDR: 'localhost' is not host:port", await output + await errors, StringComparison.Ordinal);
    }

    [PrivilegedPortFact]
    public async Task A_name_no_nameserver_answers_gets_servfail_over_udp_and_tcp()
    {
        // resolv.conf names an address where nothing listens on port 53.
        await using var dns = await DnsSidecar.StartAsync(Cluster, upstreamListens: false);

        var udp = await DnsExchange.UdpAsync(dns.EndPoint, DnsWire.Query(77, "external.example.com"));
        var tcp = await DnsExchange.TcpAsync(dns.EndPoint, DnsWire.Query(78, "external.example.com"));

        foreach (var (reply, id) in new[] { (udp, 77), (tcp, 78) })
        {
            Assert.True(reply.Id == id && reply.IsResponse && reply.Rcode == DnsWire.ServFail, reply.ToString());
            Assert.Equal("external.example.com.", reply.QuestionName);
            Assert.Empty(reply.Answers);
        }

        // The mesh's names do not need the nameserver.
        Assert.Equal([IPAddress.Parse(ClusterIp)], (await DnsExchange.UdpAsync(dns.EndPoint, DnsWire.Query(79, "reviews"))).Addresses);

        var metrics = await dns.MetricsAsync();
        Assert.Equal((3, 2, 2), (metrics.Requests, metrics.UpstreamRequests, metrics.UpstreamFailures));
    }

    [PrivilegedPortFact]
    public async Task A_service_added_by_a_config_reload_is_answered()
    {
        await using var dns = await DnsSidecar.StartAsync(Cluster, upstreamListens: true);
        const string ratings = "ratings.default.svc.cluster.local";
        var before = await DnsExchange.UdpAsync(dns.EndPoint, DnsWire.Query(1, ratings));
        Assert.True(before.Rcode == DnsWire.NxDomain && !before.Authoritative, before.ToString());

        dns.Config.Write("ratings.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: ratings, namespace: default}
            spec:
              clusterIP: 10.96.30.3
              ports: [{name: http, port: 9080, protocol: TCP}]
            """);

        DnsReply? answered = null;
        await Wait.UntilAsync(async () =>
        {
            answered = await DnsExchange.UdpAsync(dns.EndPoint, DnsWire.Query(2, ratings));
            return answered.Authoritative;
        }, TimeSpan.FromSeconds(20), $"{ratings} to be answered by the DNS proxy after the reload");

        Assert.Equal([IPAddress.Parse("10.96.30.3")], answered!.Addresses);
        Assert.Equal([IPAddress.Parse("10.96.30.3")], (await DnsExchange.TcpAsync(dns.EndPoint, DnsWire.Query(3, "ratings"))).Addresses);
        // The services already there still are.
        Assert.Equal([IPAddress.Parse(ClusterIp)], (await DnsExchange.UdpAsync(dns.EndPoint, DnsWire.Query(4, "reviews.default"))).Addresses);
    }

    /// <summary>A sidecar with the DNS proxy on a free port of its address, and the fake nameserver its resolv.conf names.</summary>
    /// <summary>A resolv.conf of the test's own, removed afterwards.</summary>
    private sealed class TempResolvConf : IDisposable
    {
        private TempResolvConf(string path) => Path = path;

        public string Path { get; }

        public static TempResolvConf Write(string text)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"resolv-{Guid.NewGuid():N}.conf");
            File.WriteAllText(path, text);
            return new TempResolvConf(path);
        }

        public void Dispose() => File.Delete(Path);
    }

    private sealed class DnsSidecar : IAsyncDisposable
    {
        private readonly string _resolvConf;

        private DnsSidecar(ConfigDirectory config, string resolvConf, FakeNameserver? upstream, SidecarProcess sidecar, IPEndPoint endPoint)
        {
            Config = config;
            _resolvConf = resolvConf;
            _upstream = upstream;
            Sidecar = sidecar;
            EndPoint = endPoint;
        }

        private readonly FakeNameserver? _upstream;

        public ConfigDirectory Config { get; }

        public SidecarProcess Sidecar { get; }

        public IPEndPoint EndPoint { get; }

        public FakeNameserver Upstream => _upstream ?? throw new InvalidOperationException("no nameserver listens");

        public static async Task<DnsSidecar> StartAsync(string yaml, bool upstreamListens)
        {
            var nameserver = LoopbackAddresses.Next();
            var upstream = upstreamListens
                ? FakeNameserver.Start(nameserver, new Dictionary<string, IPAddress> { ["external.example.com"] = ExternalAddress, ["reviews.default.svc.cluster.local"] = IPAddress.Parse("192.0.2.99") })
                : null;
            var config = new ConfigDirectory();
            var resolvConf = Path.Combine(Path.GetTempPath(), $"resolv-{Guid.NewGuid():N}.conf");
            try
            {
                config.Write("cluster.yaml", yaml);
                await File.WriteAllTextAsync(resolvConf, $"search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver {nameserver}\noptions ndots:5\n");
                var port = FreePort.Get();
                var sidecar = await SidecarProcess.StartAsync(config.Path, arguments:
                    ["--namespace", "default", "--dns-capture", "--dns-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--resolv-conf", resolvConf]);
                return new DnsSidecar(config, resolvConf, upstream, sidecar, new IPEndPoint(sidecar.Bind, port));
            }
            catch
            {
                config.Dispose();
                File.Delete(resolvConf);
                if (upstream is not null)
                {
                    await upstream.DisposeAsync();
                }

                throw;
            }
        }

        public async Task<(long Requests, long UpstreamRequests, long UpstreamFailures)> MetricsAsync()
        {
            var samples = await PrometheusScrape.GetAsync($"http://{Sidecar.Bind}:15090/stats/prometheus");
            long Value(string name) => (long)Assert.Single(samples, s => s.Name == name).Value;
            return (Value("istio_agent_dns_requests_total"), Value("istio_agent_dns_upstream_requests_total"), Value("istio_agent_dns_upstream_failures_total"));
        }

        public async ValueTask DisposeAsync()
        {
            await Sidecar.DisposeAsync();
            if (_upstream is not null)
            {
                await _upstream.DisposeAsync();
            }

            Config.Dispose();
            File.Delete(_resolvConf);
        }
    }
}
