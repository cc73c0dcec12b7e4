using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Telemetry <c>metrics</c> overrides (istio/api telemetry/v1 MetricsOverrides) on a running sidecar: tags computed
/// from each request, a standard label removed, a metric disabled, and all of it changed by a live config push.
/// </summary>
public sealed class MetricOverridesTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private TestBackend _reviews = null!;

    public async Task InitializeAsync() => _reviews = await TestBackend.StartAsync("reviews-v1");

    public async Task DisposeAsync() => await _reviews.DisposeAsync();

    [Fact]
    public async Task Request_tags_a_removed_label_and_a_disabled_metric_are_applied_and_follow_a_live_push()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("telemetry.yaml", """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              metrics:
              - providers: [{name: prometheus}]
                overrides:
                - match: {metric: ALL_METRICS, mode: CLIENT_AND_SERVER}
                  tagOverrides:
                    request_host: {value: request.host}
                    tenant: {value: "request.headers['x-tenant']"}
                    destination_canonical_revision: {operation: REMOVE}
                - match: {metric: REQUEST_SIZE}
                  disabled: true
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        var stats = sidecar.AdminUrl + "/stats/prometheus";

        using (var response = await sidecar.SendAsync("reviews:9080", "/reviews/1", configure: r => r.Headers.Add("x-tenant", "acme")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await sidecar.SendAsync("reviews:9080", "/reviews/2"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A value beyond ASCII labels the series with the text its bytes spell (Envoy's label holds the bytes).
        var utf8 = await RawHttp.SendAsync(sidecar.Bind, 15001, "reviews:9080", "/reviews/utf8", extraHead: "x-tenant: Z\u00c3\u00bcrich\r\n");
        Assert.Equal(200, utf8.StatusCode);
        await WaitForAsync(stats, s => s.Name == "istio_requests_total" && s.Has(("tenant", "Z\u00fcrich")), "the request from Z\u00fcrich to be counted");

        var samples = await WaitForAsync(stats, s => s.Name == "istio_requests_total" && s.Has(("tenant", "unknown")), "the request without x-tenant to be counted");
        var acme = Assert.Single(samples, s => s.Name == "istio_requests_total" && s.Has(("tenant", "acme")));
        Assert.Equal(1, acme.Value);
        Assert.Equal("reviews:9080", acme["request_host"]);
        Assert.Equal("source", acme["reporter"]);
        Assert.Null(acme["destination_canonical_revision"]);
        Assert.Contains(samples, s => s.Name == "istio_response_bytes_count" && s.Has(("tenant", "acme"), ("request_host", "reviews:9080")));
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("istio_request_bytes", StringComparison.Ordinal));

        // Without the overrides: the standard layout again, request size reported, no custom tags.
        config.Delete("telemetry.yaml");
        await Wait.UntilAsync(
            async () =>
            {
                using var response = await sidecar.SendAsync("reviews:9080", "/reviews/3", configure: r => r.Headers.Add("x-tenant", "acme"));
                var scraped = await PrometheusScrape.GetAsync(stats);
                return scraped.Any(s => s.Name == "istio_request_bytes_count");
            },
            Deadline,
            "the standard metrics to come back once the Telemetry resource is deleted");
        var standard = await PrometheusScrape.GetAsync(stats);
        var requests = Assert.Single(standard, s => s.Name == "istio_requests_total");
        Assert.Null(requests["tenant"]);
        Assert.Null(requests["request_host"]);
        // A peer without metadata (the backend has no sidecar): Istio's stats filter reports its revision as latest.
        Assert.Equal("latest", requests["destination_canonical_revision"]);
    }

    private static async Task<List<PrometheusSample>> WaitForAsync(string url, Func<PrometheusSample, bool> predicate, string description)
    {
        List<PrometheusSample> samples = [];
        await Wait.UntilAsync(
            async () =>
            {
                samples = await PrometheusScrape.GetAsync(url);
                return samples.Any(predicate);
            },
            Deadline,
            description);
        return samples;
    }
}
