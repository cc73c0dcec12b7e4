using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.Metrics;
using Sidecar.Proxy.Telemetry.Tracing;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>The span the tracer ends, as Telemetry's tracing settings shape it.</summary>
public sealed class ProxyTracerTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EnableIstioTags_decides_whether_the_span_carries_the_istio_tags(bool istioTags)
    {
        // Telemetry tracing[].enableIstioTags (default true): istio.canonical_service, istio.namespace, ...
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ProxyTracer.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var tracer = new ProxyTracer(new WorkloadInfo { WorkloadName = "productpage-v1" }, new Random(1));
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Host = new HostString("reviews:9080");
        var state = new RequestState();
        state.Begin(context, RequestDirection.Outbound, TimeProvider.System);

        tracer.Start(context, state, samplingPercent: 100);
        var span = Assert.IsType<Activity>(state.Telemetry.Span);
        tracer.Stop(context, state, ServiceLabels.Unknown, requestBytes: 0, responseBytes: 0, istioTags);

        Assert.Equal(istioTags, span.GetTagItem("istio.namespace") is not null);
        Assert.Equal(istioTags, span.GetTagItem("istio.canonical_service") is not null);
        Assert.Equal("proxy", span.GetTagItem("component")); // Envoy's own tags stay either way
    }
}
