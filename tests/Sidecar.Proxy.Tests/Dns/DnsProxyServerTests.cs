using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Model;
using Sidecar.Proxy.Dns;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Dns;

/// <summary>
/// The DNS proxy server on a real UDP socket, fed by a real config store: what it answers before the first config
/// and once one is published (pilot-agent's <c>ServeDNS</c> with no lookup table yet, then <c>UpdateLookupTable</c>).
/// </summary>
public sealed class DnsProxyServerTests
{
    [Fact]
    public async Task Before_the_first_config_every_query_gets_SERVFAIL_then_the_published_names_are_answered()
    {
        var store = new ProxyConfigStore();
        var options = new ProxyOptions
        {
            BindAddress = LoopbackAddresses.Next(),
            Dns = new DnsProxyOptions { Enabled = true, Port = FreePort.Get(), ResolvConfPath = "/nonexistent/resolv.conf" },
        };
        var metrics = Prometheus.Metrics.NewCustomRegistry();
        using var server = new DnsProxyServer(options, store, metrics, NullLogger<DnsProxyServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        try
        {
            var endpoint = new IPEndPoint(options.BindAddress, options.Dns.Port);

            // No table yet: a mesh name forwarded now would come back NXDOMAIN from the nameservers, so it is refused.
            var early = await QueryAsync(endpoint, "reviews.default.svc.cluster.local");
            Assert.Equal(2, early.Rcode); // SERVFAIL
            Assert.Equal("reviews.default.svc.cluster.local.", Assert.Single(early.Questions).Name);
            // Refused here, not forwarded (with no nameserver a forward would end in SERVFAIL too).
            var exported = await ExportAsync(metrics);
            Assert.Contains("istio_agent_dns_requests_total 1\n", exported, StringComparison.Ordinal);
            Assert.Contains("istio_agent_dns_upstream_requests_total 0\n", exported, StringComparison.Ordinal);

            Assert.Empty(store.TryPublish(ProxyConfig.Empty(new ConfigOrigin("test", "", DateTimeOffset.UnixEpoch)) with
            {
                Version = "1",
                NameTable = [new NameInfoConfig { Host = "reviews.default.svc.cluster.local", Ips = ["10.96.14.7"], Registry = NameInfoConfig.KubernetesRegistry, ShortName = "reviews", Namespace = "default" }],
            }));

            var answered = await QueryAsync(endpoint, "reviews.default.svc.cluster.local");
            Assert.Equal(0, answered.Rcode);
            Assert.True(answered.Authoritative);
            Assert.Equal(["10.96.14.7"], answered.Addresses);
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<string> ExportAsync(Prometheus.CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task<DnsReply> QueryAsync(IPEndPoint server, string name)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server);
        await socket.SendAsync(DnsWire.Query(name, DnsWire.TypeA), SocketFlags.None);
        var buffer = new byte[1500];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        return DnsWire.Decode(buffer[..length]);
    }
}
