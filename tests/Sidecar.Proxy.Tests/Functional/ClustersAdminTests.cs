using System.Net;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>The admin <c>/clusters</c> page's per-host connection counters, as Envoy's host stats name them.</summary>
public sealed class ClustersAdminTests
{
    [Fact]
    public async Task Each_host_counts_its_open_and_established_connections_as_cx_active_and_cx_total()
    {
        // Two requests in turn share one pooled HTTP/1.1 connection, which stays open after them.
        await using var backend = await TestBackend.StartAsync("reviews");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using (var first = await proxy.SendAsync("reviews:9080"))
        using (var second = await proxy.SendAsync("reviews:9080"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        var clusters = await proxy.Client.GetStringAsync($"{proxy.AdminUrl}/clusters");
        var host = $"{cluster.Name}::{backend.Address}:{backend.Port}";
        Assert.Contains($"{host}::cx_active::1\n", clusters, StringComparison.Ordinal);
        Assert.Contains($"{host}::cx_total::1\n", clusters, StringComparison.Ordinal);
        Assert.Contains($"{host}::rq_total::2\n", clusters, StringComparison.Ordinal);
    }
}
