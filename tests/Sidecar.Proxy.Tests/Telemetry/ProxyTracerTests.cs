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
    /// <summary>A listener on the proxy's spans (an exporter stands for one): without it the tracer starts none.</summary>
    private static ActivityListener RecordEverySpan()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ProxyTracer.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EnableIstioTags_decides_whether_the_span_carries_the_istio_tags(bool istioTags)
    {
        // Telemetry tracing[].enableIstioTags (default true): istio.canonical_service, istio.namespace, ...
        using var listener = RecordEverySpan();
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
    /// <summary>
    /// Envoy's Zipkin tracer makes a span for every request and sends its ids on: an unsampled request still carries
    /// x-b3-traceid and x-b3-spanid (a child of the caller's span), with x-b3-sampled: 0.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_unsampled_request_carries_its_B3_ids_with_sampled_0_under_Zipkin(bool callerSentB3)
    {
        using var listener = RecordEverySpan();
        var tracer = new ProxyTracer(new WorkloadInfo { WorkloadName = "productpage-v1" }, new Random(1)) { AlwaysPropagateB3 = true };
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Host = new HostString("reviews:9080");
        if (callerSentB3)
        {
            context.Request.Headers["x-b3-traceid"] = "463ac35c9f6413ad48485a3953bb6124";
            context.Request.Headers["x-b3-spanid"] = "a2fb4a1d1a96d312";
            context.Request.Headers["x-b3-sampled"] = "0";
        }

        var state = new RequestState();
        state.Begin(context, RequestDirection.Outbound, TimeProvider.System);
        tracer.Start(context, state, samplingPercent: 0);
        using var upstream = new HttpRequestMessage(HttpMethod.Get, "http://10.0.0.7:9080/");
        tracer.Inject(upstream, state);

        Assert.Null(state.Telemetry.Span);
        var traceId = Assert.Single(upstream.Headers.GetValues("x-b3-traceid"));
        var spanId = Assert.Single(upstream.Headers.GetValues("x-b3-spanid"));
        Assert.Equal("0", Assert.Single(upstream.Headers.GetValues("x-b3-sampled")));
        Assert.Equal(16, spanId.Length);
        if (callerSentB3)
        {
            Assert.Equal("463ac35c9f6413ad48485a3953bb6124", traceId);
            Assert.NotEqual("a2fb4a1d1a96d312", spanId);
            Assert.Equal("a2fb4a1d1a96d312", Assert.Single(upstream.Headers.GetValues("x-b3-parentspanid")));
        }
        else
        {
            Assert.Equal(32, traceId.Length);
            Assert.False(upstream.Headers.Contains("x-b3-parentspanid"));
            Assert.EndsWith("-00", Assert.Single(upstream.Headers.GetValues("traceparent")), StringComparison.Ordinal);
            Assert.Contains(traceId, upstream.Headers.GetValues("traceparent").Single(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Custom_tags_take_a_literal_an_environment_variable_or_a_request_header_and_skip_empty_values()
    {
        // Envoy's CustomTag kinds as Istio's Telemetry tracing[].customTags configure them.
        var variable = "SIDECAR_TEST_TAG_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "from-env");
        var tags = SpanCustomTags.From(
        [
            new TracingCustomTag("literal", TracingCustomTagKind.Literal, "fixed"),
            new TracingCustomTag("env", TracingCustomTagKind.Environment, variable, "unused"),
            new TracingCustomTag("env.unset", TracingCustomTagKind.Environment, variable + "_UNSET", "env-default"),
            new TracingCustomTag("env.unset.nodefault", TracingCustomTagKind.Environment, variable + "_UNSET"),
            new TracingCustomTag("user", TracingCustomTagKind.RequestHeader, "end-user", "anonymous"),
            new TracingCustomTag("group", TracingCustomTagKind.RequestHeader, "x-group", "none"),
            new TracingCustomTag("absent", TracingCustomTagKind.RequestHeader, "x-absent"),
            new TracingCustomTag("rid", TracingCustomTagKind.RequestHeader, "x-request-id"),
        ]);
        Environment.SetEnvironmentVariable(variable, null);

        using var listener = RecordEverySpan();
        var tracer = new ProxyTracer(new WorkloadInfo { WorkloadName = "productpage-v1" }, new Random(1));
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Host = new HostString("reviews:9080");
        // Held as their bytes (one char per byte): a UTF-8 value is tagged as the text it spells.
        context.Request.Headers["End-User"] = "jos\u00c3\u00a9";
        context.Request.Headers.UserAgent = "caf\u00c3\u00a9/1.0";
        var state = new RequestState();
        state.Begin(context, RequestDirection.Outbound, TimeProvider.System);
        state.Arrival = ArrivalHeaders.Read(context.Request.Headers);
        RequestIds.Assign(state);

        tracer.Start(context, state, samplingPercent: 100);
        var span = Assert.IsType<Activity>(state.Telemetry.Span);
        tracer.Stop(context, state, ServiceLabels.Unknown, requestBytes: 0, responseBytes: 0, customTags: tags);

        Assert.Equal("fixed", span.GetTagItem("literal"));
        Assert.Equal("from-env", span.GetTagItem("env")); // read when the config arrived, not per span
        Assert.Equal("env-default", span.GetTagItem("env.unset"));
        Assert.Null(span.GetTagItem("env.unset.nodefault"));
        Assert.Equal("jos\u00e9", span.GetTagItem("user"));
        Assert.Equal("caf\u00e9/1.0", span.GetTagItem("user_agent"));
        Assert.Equal("none", span.GetTagItem("group"));
        Assert.Null(span.GetTagItem("absent"));
        Assert.Equal(state.RequestId, span.GetTagItem("rid")); // the id this proxy made is a request header too
    }
}
