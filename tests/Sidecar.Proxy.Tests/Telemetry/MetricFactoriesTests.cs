using System.Diagnostics;
using System.Text;
using Prometheus;
using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Tests.Telemetry;

public sealed class MetricFactoriesTests
{
    [Fact]
    public async Task Observations_inside_a_trace_carry_no_exemplar_as_in_Envoys_metrics()
    {
        using var source = new ActivitySource("sidecar-test-exemplars");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var sidecar = Metrics.NewCustomRegistry();
        var library = Metrics.NewCustomRegistry();

        using (var activity = source.StartActivity("request"))
        {
            Assert.NotNull(activity);
            MetricFactories.For(sidecar).CreateCounter("requests_total", "test").Inc();
            MetricFactories.For(sidecar).CreateHistogram("duration", "test").Observe(3);
            // The library's default, for contrast: the same observations pick the trace up as an exemplar.
            Metrics.WithCustomRegistry(library).CreateCounter("requests_total", "test").Inc();
        }

        Assert.Contains("trace_id", await OpenMetricsAsync(library), StringComparison.Ordinal);
        var text = await OpenMetricsAsync(sidecar);
        Assert.Contains("requests_total 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("trace_id", text, StringComparison.Ordinal);
    }

    private static async Task<string> OpenMetricsAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream, ExpositionFormat.OpenMetricsText);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
