using System.Net;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Istio's standard metrics scraped from real sidecars after real traffic: names, label sets in Istio's order,
/// values from both reporters, response flags, retries, and the status port's merge with the app's metrics.
/// </summary>
public sealed class MetricsTests : IClassFixture<TelemetryMesh>
{
    private const string RatingsService = "ratings.default.svc.cluster.local";
    private const string RatingsCluster = "outbound|9080||ratings.default.svc.cluster.local";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>istio/proxy's label order for the HTTP metrics.</summary>
    private static readonly string[] IstioHttpLabels =
    [
        "reporter",
        "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
        "source_principal", "source_app", "source_version", "source_cluster",
        "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
        "destination_version", "destination_service", "destination_canonical_service", "destination_canonical_revision",
        "destination_service_name", "destination_service_namespace", "destination_cluster",
        "request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
    ];

    private readonly TelemetryMesh _mesh;

    public MetricsTests(TelemetryMesh mesh) => _mesh = mesh;

    [Fact]
    public async Task A_caller_outside_the_mesh_gets_no_workload_metadata_back()
    {
        // Istio's metadata exchange answers only a caller that sent its own x-envoy-peer-metadata.
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await client.GetAsync($"http://{_mesh.ServerAddress}:9080/ok");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("x-envoy-peer-metadata"));
        Assert.False(response.Headers.Contains("x-envoy-peer-metadata-id"));
    }

    [Fact]
    public async Task Istio_requests_total_from_both_reporters_carries_the_peer_workloads_learned_by_metadata_exchange()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await _mesh.CallRatingsAsync("/ok", ("x-test-id", id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The exchange headers stay between the sidecars: stripped before the app and before the caller.
        Assert.False(response.Headers.Contains("x-envoy-peer-metadata"));
        Assert.False(response.Headers.Contains("x-envoy-peer-metadata-id"));
        var atApp = _mesh.App.Received.Single(r => r.Headers.TryGetValue("x-test-id", out var t) && t == id);
        Assert.False(atApp.Headers.ContainsKey("x-envoy-peer-metadata"));

        var source = await WaitForSampleAsync(_mesh.ClientStatsUrl, "istio_requests_total", ("reporter", "source"), ("response_code", "200"), ("destination_workload", "ratings-v1"));
        Assert.Equal(IstioHttpLabels, source.Labels.Select(l => l.Key));
        AssertLabels(source,
            ("source_workload", "productpage-v1"), ("source_canonical_service", "productpage"), ("source_canonical_revision", "v1"),
            ("source_workload_namespace", "default"), ("source_principal", "unknown"), ("source_app", "productpage"), ("source_version", "v1"),
            ("source_cluster", "Kubernetes"),
            ("destination_workload", "ratings-v1"), ("destination_workload_namespace", "default"), ("destination_app", "ratings"),
            ("destination_version", "v1"), ("destination_service", RatingsService), ("destination_canonical_service", "ratings"),
            ("destination_canonical_revision", "v1"), ("destination_service_name", "ratings"), ("destination_service_namespace", "default"),
            ("destination_cluster", "Kubernetes"), ("request_protocol", "http"), ("grpc_response_status", ""), ("response_flags", "-"),
            ("connection_security_policy", "unknown"));
        Assert.True(source.Value >= 1);

        var destination = await WaitForSampleAsync(_mesh.ServerStatsUrl, "istio_requests_total", ("reporter", "destination"), ("response_code", "200"), ("source_workload", "productpage-v1"));
        Assert.Equal(IstioHttpLabels, destination.Labels.Select(l => l.Key));
        AssertLabels(destination,
            ("source_canonical_service", "productpage"), ("source_app", "productpage"), ("source_version", "v1"), ("source_principal", "unknown"),
            ("destination_workload", "ratings-v1"), ("destination_app", "ratings"), ("destination_canonical_service", "ratings"),
            ("destination_service", RatingsService), ("destination_service_name", "ratings"), ("response_flags", "-"),
            ("connection_security_policy", "none"));
    }

    [Fact]
    public async Task A_denied_request_is_counted_under_the_service_its_route_resolved()
    {
        // Envoy resolves the route before the RBAC filter answers 403: Istio's stats carry the route's service.
        using var response = await _mesh.CallRatingsAsync("/denied", ("x-deny", "yes"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        var denied = await WaitForSampleAsync(_mesh.ServerStatsUrl, "istio_requests_total", ("reporter", "destination"), ("response_code", "403"));
        AssertLabels(denied, ("destination_service", RatingsService), ("destination_service_name", "ratings"), ("destination_service_namespace", "default"));
    }

    [Fact]
    public async Task Request_duration_and_sizes_are_histograms_with_Istios_buckets()
    {
        using var response = await _mesh.CallRatingsAsync("/ok", ("x-test-id", Guid.NewGuid().ToString("N")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await WaitForSampleAsync(_mesh.ClientStatsUrl, "istio_request_duration_milliseconds_count", ("reporter", "source"), ("response_code", "200"));
        var samples = await PrometheusScrape.GetAsync(_mesh.ClientStatsUrl);
        var buckets = samples
            .Where(s => s.Name == "istio_request_duration_milliseconds_bucket" && s.Has(("reporter", "source"), ("response_code", "200"), ("destination_workload", "ratings-v1")))
            .Select(s => s["le"])
            .ToList();
        Assert.Equal(
            ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"],
            buckets);
        Assert.Contains(samples, s => s.Name == "istio_request_bytes_count" && s.Has(("reporter", "source")) && s.Value >= 1);
        var responseBytes = samples.Single(s => s.Name == "istio_response_bytes_sum" && s.Has(("reporter", "source"), ("response_code", "200"), ("destination_workload", "ratings-v1")));
        // Each answer is "ratings-v1" (10 bytes).
        Assert.True(responseBytes.Value >= 10, $"response bytes sum {responseBytes.Value}");
    }

    [Fact]
    public async Task Fault_injected_503_is_counted_at_the_source_with_response_flags_FI()
    {
        (string, string)[] series = [("reporter", "source"), ("response_code", "503"), ("response_flags", "FI")];
        var before = await ValueAsync(_mesh.ClientStatsUrl, "istio_requests_total", series);

        using var response = await _mesh.CallRatingsAsync("/abort", ("x-test-id", Guid.NewGuid().ToString("N")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        var sample = await WaitForSampleAsync(_mesh.ClientStatsUrl, "istio_requests_total", s => s.Value >= before + 1, series);
        Assert.Equal(before + 1, sample.Value);
        // The request never reached ratings: no peer answered, so its workload is unknown; the service is known from the route.
        AssertLabels(sample, ("destination_service", RatingsService), ("destination_workload", "unknown"), ("source_workload", "productpage-v1"));
    }

    [Fact]
    public async Task Retried_request_is_one_request_at_the_source_and_one_per_attempt_at_the_destination()
    {
        (string, string)[] sourceOk = [("reporter", "source"), ("response_code", "200"), ("destination_workload", "ratings-v1")];
        (string, string)[] destinationFailed = [("reporter", "destination"), ("response_code", "503"), ("source_workload", "productpage-v1")];
        (string, string)[] destinationOk = [("reporter", "destination"), ("response_code", "200"), ("source_workload", "productpage-v1")];
        var sourceBefore = await ValueAsync(_mesh.ClientStatsUrl, "istio_requests_total", sourceOk);
        var failedBefore = await ValueAsync(_mesh.ServerStatsUrl, "istio_requests_total", destinationFailed);
        var okBefore = await ValueAsync(_mesh.ServerStatsUrl, "istio_requests_total", destinationOk);
        var retriesBefore = await ValueAsync(_mesh.ClientStatsUrl, "envoy_cluster_upstream_rq_retry", ("cluster_name", RatingsCluster));

        // retries: {attempts: 3, retryOn: 5xx}; the app fails the first attempt.
        using var response = await _mesh.CallRatingsAsync("/retry", ("x-test-id", Guid.NewGuid().ToString("N")), ("x-fail-first", "1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await WaitForSampleAsync(_mesh.ServerStatsUrl, "istio_requests_total", s => s.Value >= okBefore + 1, destinationOk);
        Assert.Equal(failedBefore + 1, await ValueAsync(_mesh.ServerStatsUrl, "istio_requests_total", destinationFailed));
        Assert.Equal(okBefore + 1, await ValueAsync(_mesh.ServerStatsUrl, "istio_requests_total", destinationOk));
        await WaitForSampleAsync(_mesh.ClientStatsUrl, "istio_requests_total", s => s.Value >= sourceBefore + 1, sourceOk);
        Assert.Equal(sourceBefore + 1, await ValueAsync(_mesh.ClientStatsUrl, "istio_requests_total", sourceOk));
        Assert.Equal(retriesBefore + 1, await ValueAsync(_mesh.ClientStatsUrl, "envoy_cluster_upstream_rq_retry", ("cluster_name", RatingsCluster)));
    }

    [Fact]
    public async Task Status_port_15020_merges_the_sidecars_metrics_with_the_applications()
    {
        using var response = await _mesh.CallRatingsAsync("/ok", ("x-test-id", Guid.NewGuid().ToString("N")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await WaitForSampleAsync(_mesh.ServerStatsUrl, "istio_requests_total", ("reporter", "destination"));

        var merged = await PrometheusScrape.GetAsync($"http://{_mesh.Server.Bind}:15020/stats/prometheus");

        Assert.Contains(merged, s => s.Name == TelemetryMesh.AppMetric && s.Has(("shop", "main")) && s.Value == 7);
        Assert.Contains(merged, s => s.Name == "istio_requests_total" && s.Has(("reporter", "destination")));
        Assert.Contains(merged, s => s.Name == "sidecar_config_push_total" && s.Value >= 1);
        // The client's app declared no metrics: its status port serves the sidecar's alone.
        var clientOnly = await PrometheusScrape.GetAsync($"http://{_mesh.Client.Bind}:15020/stats/prometheus");
        Assert.Contains(clientOnly, s => s.Name == "sidecar_config_push_total");
        Assert.DoesNotContain(clientOnly, s => s.Name == TelemetryMesh.AppMetric);
    }

    [Fact]
    public async Task Admin_port_serves_Envoy_stats_as_text_and_prometheus()
    {
        using var response = await _mesh.CallRatingsAsync("/ok", ("x-test-id", Guid.NewGuid().ToString("N")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var text = await client.GetStringAsync($"{_mesh.Client.AdminUrl}/stats");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Envoy's text form: "name: value", one per line.
        Assert.All(lines, line => Assert.Matches(@"^\S+: \d+$", line));
        var total = lines.Single(l => l.StartsWith($"cluster.{RatingsCluster}.upstream_rq_total: ", StringComparison.Ordinal));
        Assert.True(long.Parse(total.Split(": ")[1], System.Globalization.CultureInfo.InvariantCulture) >= 1, total);
        Assert.Contains(lines, l => l.StartsWith("cluster_manager.cds.update_success: ", StringComparison.Ordinal));

        var prometheus = await PrometheusScrape.GetAsync($"{_mesh.Client.AdminUrl}/stats/prometheus");
        Assert.Contains(prometheus, s => s.Name == "envoy_cluster_upstream_rq_total" && s.Has(("cluster_name", RatingsCluster)) && s.Value >= 1);
        Assert.Contains(prometheus, s => s.Name == "envoy_cluster_membership_total" && s.Has(("cluster_name", RatingsCluster)) && s.Value == 1);
        Assert.Contains(prometheus, s => s.Name == "sidecar_config_info" && s.Value == 1);
    }

    private static void AssertLabels(PrometheusSample sample, params (string Label, string Value)[] expected)
    {
        foreach (var (label, value) in expected)
        {
            Assert.True(sample[label] == value, $"{label}: expected '{value}', got '{sample[label]}' in {string.Join(",", sample.Labels.Select(l => $"{l.Key}={l.Value}"))}");
        }
    }

    private static async Task<double> ValueAsync(string url, string name, params (string Label, string Value)[] labels)
    {
        var samples = await PrometheusScrape.GetAsync(url);
        return samples.Where(s => s.Name == name && s.Has(labels)).Sum(s => s.Value);
    }

    private static Task<PrometheusSample> WaitForSampleAsync(string url, string name, params (string Label, string Value)[] labels) =>
        WaitForSampleAsync(url, name, _ => true, labels);

    private static async Task<PrometheusSample> WaitForSampleAsync(string url, string name, Func<PrometheusSample, bool> condition, params (string Label, string Value)[] labels)
    {
        PrometheusSample? found = null;
        await Wait.UntilAsync(async () =>
        {
            var samples = await PrometheusScrape.GetAsync(url);
            found = samples.FirstOrDefault(s => s.Name == name && s.Has(labels) && condition(s));
            return found is not null;
        }, Deadline, $"{name} with {string.Join(",", labels.Select(l => $"{l.Label}={l.Value}"))} at {url}");
        return found!;
    }
}
