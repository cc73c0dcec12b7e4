using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>Istio's ISTIO_PROMETHEUS_ANNOTATIONS (the pod's prometheus.io/scrape|port|path) into the app's metrics URL.</summary>
public sealed class ApplicationMetricsScraperTests
{
    [Theory]
    [InlineData("""{"scrape":"true","port":"8080","path":"/metrics"}""", "http://127.0.0.1:8080/metrics")]
    [InlineData("""{"scrape":"true","port":"9102"}""", "http://127.0.0.1:9102/metrics")]
    [InlineData("""{"scrape":"True","port":"9102","path":"stats"}""", "http://127.0.0.1:9102/stats")]
    public void Scraped_application_metrics_url(string annotations, string expected) =>
        Assert.Equal(new Uri(expected), ApplicationMetricsScraper.FromAnnotations(annotations));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("""{"scrape":"false","port":"8080"}""")]
    [InlineData("""{"scrape":"true"}""")]
    [InlineData("""{"scrape":"true","port":"http"}""")]
    [InlineData("not json")]
    public void No_scrape_without_scrape_true_and_a_port(string? annotations) =>
        Assert.Null(ApplicationMetricsScraper.FromAnnotations(annotations));
}
