using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>Istio's ISTIO_PROMETHEUS_ANNOTATIONS (the pod's prometheus.io/scrape|port|path) into the app's metrics URL.</summary>
public sealed class ApplicationMetricsScraperTests
{
    [Theory]
    [InlineData("""{"scrape":"true","port":"8080","path":"/metrics"}""", "http://127.0.0.1:8080/metrics")]
    [InlineData("""{"scrape":"true","port":"9102"}""", "http://127.0.0.1:9102/metrics")]
    [InlineData("""{"scrape":"True","port":"9102","path":"stats"}""", "http://127.0.0.1:9102/stats")]
    [InlineData("""{"scrape":"","path":"/metrics","port":"8080"}""", "http://127.0.0.1:8080/metrics")] // a pod annotated with a port only
    [InlineData("""{"scrape":"true"}""", "http://127.0.0.1:80/metrics")] // pilot-agent's default port
    public void Scraped_application_metrics_url(string annotations, string expected) =>
        Assert.Equal(new Uri(expected), ApplicationMetricsScraper.FromAnnotations(annotations));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("""{"scrape":"false","port":"8080"}""")]
    [InlineData("""{"scrape":"False"}""")]
    [InlineData("""{"scrape":"true","port":"http"}""")]
    [InlineData("""{"scrape":"true","port":"15020"}""")] // the status port itself
    [InlineData("not json")]
    public void No_scrape_when_it_is_off_or_would_loop(string? annotations) =>
        Assert.Null(ApplicationMetricsScraper.FromAnnotations(annotations));
}
