using System.Text.Json;
using Sidecar.FunctionalTests.Infrastructure;

namespace Sidecar.FunctionalTests;

/// <summary>Envoy's admin API on 15000 and Istio's health port 15021, on a running sidecar.</summary>
public sealed class AdminTests : IClassFixture<BookinfoMesh>
{
    private readonly BookinfoMesh _mesh;

    public AdminTests(BookinfoMesh mesh) => _mesh = mesh;

    [Fact]
    public async Task Ready_reports_LIVE()
    {
        Assert.Equal("LIVE\n", await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/ready"));
        using var health = await _mesh.Sidecar.Client.GetAsync(_mesh.Sidecar.HealthUrl);
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Memory_reports_the_managed_heap_and_the_resident_set_as_Envoy_names_them()
    {
        using var memory = JsonDocument.Parse(await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/memory"));
        var root = memory.RootElement;
        long Count(string name) => long.Parse(root.GetProperty(name).GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        // admin.v3.Memory's fields, 64-bit counts written as strings.
        Assert.Equal(
            ["allocated", "heap_size", "pageheap_unmapped", "pageheap_free", "total_thread_cache", "total_physical_bytes"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.True(Count("allocated") > 0);
        Assert.True(Count("heap_size") >= Count("allocated"), "the GC's committed heap holds what it allocated");
        var resident = Count("total_physical_bytes");
        var status = await File.ReadAllLinesAsync($"/proc/{_mesh.Sidecar.ProcessId}/status");
        var vmRssKb = long.Parse(status.Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resident, vmRssKb * 1024 / 2, vmRssKb * 1024 * 2);
    }

    [Fact]
    public async Task Config_dump_shows_the_snapshot_its_version_and_source()
    {
        using var dump = JsonDocument.Parse(await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/config_dump?include_model"));
        var root = dump.RootElement;

        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
        Assert.Equal("files", root.GetProperty("source").GetProperty("kind").GetString());
        Assert.Equal(_mesh.Config.Path, root.GetProperty("source").GetProperty("location").GetString());
        var clusters = root.GetProperty("config").GetProperty("clusters").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("outbound|9080|v2|reviews.default.svc.cluster.local", clusters);
        Assert.Contains("PassthroughCluster", clusters);
        var resources = root.GetProperty("source").GetProperty("resources").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Contains("VirtualService default/reviews", resources);
    }

    [Fact]
    public async Task Logging_changes_a_loggers_level_at_run_time_as_istioctl_proxy_config_log_does()
    {
        var admin = $"{_mesh.Sidecar.AdminUrl}/logging";
        Assert.Contains("  router: ", await _mesh.Sidecar.Client.GetStringAsync(admin), StringComparison.Ordinal);
        using (var refused = await _mesh.Sidecar.Client.GetAsync($"{admin}?router=debug"))
        {
            Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, refused.StatusCode);
        }

        using (var unknown = await _mesh.Sidecar.Client.PostAsync($"{admin}?no_such_logger=debug", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        }

        try
        {
            using var changed = await _mesh.Sidecar.Client.PostAsync($"{admin}?router=debug", null);
            Assert.Contains("  router: debug\n", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // Istio's security troubleshooting: `istioctl proxy-config log POD --level rbac:debug` (and jwt).
            using var rbac = await _mesh.Sidecar.Client.PostAsync($"{admin}?rbac=debug", null);
            var levels = await rbac.Content.ReadAsStringAsync();
            Assert.Equal(System.Net.HttpStatusCode.OK, rbac.StatusCode);
            Assert.Contains("  rbac: debug\n", levels, StringComparison.Ordinal);
            Assert.Contains("  jwt: ", levels, StringComparison.Ordinal);

            // The forwarder's per-request log ("Proxying to <url> <version> <policy>", a router-level message, unlike
            // the access log line) now reaches the sidecar's output.
            const string ForwarderLine = "/reviews/logging-probe HTTP/1.1 RequestVersion";
            Assert.DoesNotContain(ForwarderLine, _mesh.Sidecar.Output, StringComparison.Ordinal);
            using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/reviews/logging-probe");
            await _mesh.Sidecar.WaitForOutputAsync(ForwarderLine, TimeSpan.FromSeconds(10));
        }
        finally
        {
            using var reset = await _mesh.Sidecar.Client.PostAsync($"{admin}?level=warning", null);
            Assert.Contains("  router: warning\n", await reset.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Listeners_lists_the_capture_listeners_and_istiods_per_port_ones_as_text_and_json()
    {
        // Envoy's /listeners: name::address lines, or listener_statuses with each local_address (what istioctl and
        // scripts read); the per-port outbound listeners (0.0.0.0_9080, bind_to_port false) are listeners too.
        var text = (await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/listeners")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var json = System.Text.Json.JsonDocument.Parse(await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/listeners?format=json"));
        var statuses = json.RootElement.GetProperty("listener_statuses").EnumerateArray()
            .Select(l => (Name: l.GetProperty("name").GetString()!, Port: l.GetProperty("local_address").GetProperty("socket_address").GetProperty("port_value").GetInt32()))
            .ToList();

        Assert.Contains(statuses, l => l.Port == 15001);
        Assert.Contains(statuses, l => l.Port == 15006);
        Assert.Contains(statuses, l => l.Name == "0.0.0.0_9080" && l.Port == 9080);
        Assert.Equal(statuses.Count, text.Length);
        Assert.Contains("0.0.0.0_9080::0.0.0.0:9080", text);
    }

    [Fact]
    public async Task Clusters_lists_endpoints_with_health_and_counters()
    {
        using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/reviews/0", configure: r => r.Headers.Add("end-user", "jason"));
        var clusters = await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/clusters");
        var prefix = $"outbound|9080|v2|reviews.default.svc.cluster.local::{_mesh.ReviewsV2.Address}:{_mesh.ReviewsV2.Port}";

        Assert.StartsWith(clusters.Split('\n')[0].Split("::")[0] + "::observability_name::", clusters, StringComparison.Ordinal);
        Assert.Contains("outbound|9080|v2|reviews.default.svc.cluster.local::observability_name::outbound|9080|v2|reviews.default.svc.cluster.local\n", clusters);
        Assert.Contains($"{prefix}::health_flags::healthy", clusters);
        Assert.Contains($"{prefix}::success_rate::-1", clusters);
        Assert.Contains($"{prefix}::rq_total::", clusters);
        Assert.Contains("outbound|9080|v2|reviews.default.svc.cluster.local::default_priority::max_requests::4294967295", clusters);

        using var json = JsonDocument.Parse(await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/clusters?format=json"));
        Assert.Contains(json.RootElement.GetProperty("cluster_statuses").EnumerateArray(), c => c.GetProperty("name").GetString() == "outbound|9080|v2|reviews.default.svc.cluster.local");
    }
}
