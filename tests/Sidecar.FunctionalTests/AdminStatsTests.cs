using System.Net;
using System.Text.Json;
using Sidecar.FunctionalTests.Telemetry;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// What scripts and dashboards read from a proxy: Envoy's admin <c>/stats</c> with its query options (pilot-agent
/// itself reads <c>stats?usedonly&amp;filter=downstream_cx_active$</c>), and the server-wide Prometheus series Istio's
/// dashboards query (<c>istio_build</c>, <c>envoy_server_*</c>, <c>envoy_cluster_manager_*</c>).
/// </summary>
public sealed class AdminStatsTests
{
    [Fact]
    public async Task Stats_honours_filter_usedonly_and_format_and_the_server_series_are_exported()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        using var config = new ConfigDirectory();
        config.Write("services.yaml", Infrastructure.MeshYaml.Service("reviews", 9080, (backend, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        using (var routed = await sidecar.SendAsync("reviews:9080", "/"))
        {
            Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        }

        var client = sidecar.Client;
        var filtered = (await client.GetStringAsync($"{sidecar.AdminUrl}/stats?filter=upstream_rq_total$")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(filtered);
        Assert.All(filtered, line => Assert.EndsWith("upstream_rq_total", line[..line.IndexOf(':', StringComparison.Ordinal)], StringComparison.Ordinal));

        var used = (await client.GetStringAsync($"{sidecar.AdminUrl}/stats?usedonly")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(used, line => line.StartsWith("cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_rq_total: ", StringComparison.Ordinal));
        Assert.DoesNotContain(used, line => line.EndsWith(": 0", StringComparison.Ordinal) && !line.StartsWith("server.", StringComparison.Ordinal));

        using (var json = JsonDocument.Parse(await client.GetStringAsync($"{sidecar.AdminUrl}/stats?format=json&filter=cds")))
        {
            var stats = json.RootElement.GetProperty("stats").EnumerateArray().ToList();
            Assert.Contains(stats, s => s.GetProperty("name").GetString() == "cluster_manager.cds.update_success" && s.GetProperty("value").GetInt64() >= 1);
            Assert.All(stats, s => Assert.Contains("cds", s.GetProperty("name").GetString(), StringComparison.Ordinal));
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"{sidecar.AdminUrl}/stats?filter=(")).StatusCode);

        // pilot-agent's readiness query against Envoy (status/util/stats.go): server.state 0 is LIVE.
        var readiness = (await client.GetStringAsync($"{sidecar.AdminUrl}/stats?usedonly&filter=^(server\\.state|listener_manager\\.workers_started)")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["listener_manager.workers_started: 1", "server.state: 0"], readiness);
        Assert.Contains("server.state: 0\n", await client.GetStringAsync($"{sidecar.AdminUrl}/stats?filter=^server\\."), StringComparison.Ordinal);

        var samples = await PrometheusScrape.GetAsync($"http://{sidecar.Bind}:15090/stats/prometheus");
        Assert.Contains(samples, s => s.Name == "istio_build" && s["component"] == "proxy" && s.Value == 1);
        Assert.Contains(samples, s => s.Name == "envoy_server_live" && s.Value == 1);
        Assert.Contains(samples, s => s.Name == "envoy_server_state" && s.Value == 0);
        Assert.Contains(samples, s => s.Name == "envoy_cluster_manager_active_clusters" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "envoy_server_memory_allocated" && s.Value > 0);

        // pilot-agent serves the merged metrics at /metrics too.
        var merged = await PrometheusScrape.GetAsync($"http://{sidecar.Bind}:15020/metrics");
        Assert.Contains(merged, s => s.Name == "istio_build");
    }
}
