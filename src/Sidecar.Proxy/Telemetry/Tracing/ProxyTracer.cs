using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Telemetry.Tracing;

/// <summary>
/// Envoy's tracing as Istio configures it: a CLIENT span per outbound request and a SERVER span per inbound one,
/// parented on the caller's context (W3C <c>traceparent</c>, else B3), sampled by the caller's decision or by
/// <c>defaultConfig.tracing.sampling</c>, propagated upstream with this span as parent, and tagged as Envoy/Istio tag
/// them. Without a listener on the source (no exporter configured) every hook returns at once.
/// </summary>
internal sealed class ProxyTracer
{
    public const string SourceName = "Sidecar.Proxy";
    private const string TraceParentHeader = "traceparent";
    private const string TraceStateHeader = "tracestate";

    private readonly ActivitySource _source = new(SourceName);
    private readonly Random _random;
    private readonly WorkloadInfo _workload;
    private readonly string _nodeId;
    private readonly string _meshId;

    public ProxyTracer(WorkloadInfo workload, Random random, string meshId = "cluster.local")
    {
        _workload = workload;
        _random = random;
        _nodeId = workload.NodeId;
        _meshId = meshId;
    }

    /// <summary>Emit B3 upstream even when the caller did not (the Zipkin provider expects it).</summary>
    public bool AlwaysPropagateB3 { get; set; }

    /// <summary>Starts the request's span when it is sampled.</summary>
    public void Start(HttpContext context, RequestState state, double samplingPercent)
    {
        if (!_source.HasListeners())
        {
            return;
        }

        var headers = context.Request.Headers;
        var telemetry = state.Telemetry;
        bool? sampled = null;
        var hasParent = false;
        ActivityContext parent = default;
        if (headers.TryGetValue(TraceParentHeader, out var traceParent) && traceParent.Count > 0
            && ActivityContext.TryParse(traceParent[0], headers.TryGetValue(TraceStateHeader, out var traceState) ? traceState.ToString() : null, isRemote: true, out parent))
        {
            hasParent = true;
            sampled = (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0;
            // A caller (or the sidecar before this one) that also sent B3 gets B3 back, in the form it used.
            telemetry.B3Single = headers.ContainsKey(B3Propagation.SingleHeader) && !headers.ContainsKey(B3Propagation.TraceIdHeader);
            telemetry.B3 = telemetry.B3Single || headers.ContainsKey(B3Propagation.TraceIdHeader);
        }
        else if (B3Propagation.TryExtract(headers, out parent, out var b3Sampled, out var single))
        {
            hasParent = true;
            sampled = b3Sampled;
            telemetry.B3 = true;
            telemetry.B3Single = single;
        }

        // A caller's decision is honoured; otherwise Istio's sampling percentage decides (Envoy's random_sampling).
        if (sampled == false || (sampled is null && _random.NextDouble() * 100.0 >= samplingPercent))
        {
            var propagateB3 = telemetry.B3 || AlwaysPropagateB3;
            if (hasParent && !propagateB3)
            {
                // The caller's decision travels on in its own headers.
                return;
            }

            var traceId = (hasParent ? parent.TraceId : ActivityTraceId.CreateRandom()).ToHexString();
            var spanId = ActivitySpanId.CreateRandom().ToHexString();
            if (!hasParent)
            {
                // This sidecar starts the trace and decided against it: the decision travels with the request, so
                // the callee's sidecar does not sample a trace whose client side was never recorded.
                telemetry.TraceParent = string.Create(CultureInfo.InvariantCulture, $"00-{traceId}-{spanId}-00");
            }

            if (propagateB3)
            {
                // Envoy's Zipkin tracer makes the span even when it is not sampled, and sends its ids on with
                // x-b3-sampled: 0, so the trace stays one trace whatever the next hop decides to record.
                telemetry.TraceIdHex = traceId;
                telemetry.SpanIdHex = spanId;
                telemetry.ParentSpanId = hasParent ? parent.SpanId.ToHexString() : null;
            }

            return;
        }

        if (hasParent)
        {
            parent = new ActivityContext(parent.TraceId, parent.SpanId, ActivityTraceFlags.Recorded, parent.TraceState, isRemote: true);
        }

        var previous = Activity.Current;
        // Without a caller's context the span starts a trace: never a child of the server's own (unexported) request activity.
        Activity.Current = null;
        var kind = state.Direction == RequestDirection.Outbound ? ActivityKind.Client : ActivityKind.Server;
        var span = _source.StartActivity(context.Request.Host.Value ?? "-", kind, parent);
        // The span is the request's, not the async flow's: the forwarder's own work must not nest under it.
        Activity.Current = previous;
        if (span is null)
        {
            return;
        }

        telemetry.Span = span;
        telemetry.TraceIdHex = span.TraceId.ToHexString();
        telemetry.SpanIdHex = span.SpanId.ToHexString();
        telemetry.TraceParent = string.Create(CultureInfo.InvariantCulture, $"00-{telemetry.TraceIdHex}-{telemetry.SpanIdHex}-01");
        telemetry.ParentSpanId = hasParent ? parent.SpanId.ToHexString() : null;
    }

    /// <summary>Sends the trace on with this sidecar's span as the parent, in the caller's format(s).</summary>
    public void Inject(HttpRequestMessage upstream, RequestState state)
    {
        var telemetry = state.Telemetry;
        var headers = upstream.Headers;
        if (telemetry.TraceParent is { } traceParent)
        {
            headers.Remove(TraceParentHeader);
            headers.TryAddWithoutValidation(TraceParentHeader, traceParent);
        }

        // A sampled span, or an unsampled one whose ids go on in B3 (see Start); otherwise the caller's headers pass.
        if (telemetry.SpanIdHex is null || (!telemetry.B3 && !AlwaysPropagateB3))
        {
            return;
        }

        var sampled = telemetry.Span is not null;

        headers.Remove(B3Propagation.TraceIdHeader);
        headers.Remove(B3Propagation.SpanIdHeader);
        headers.Remove(B3Propagation.ParentSpanIdHeader);
        headers.Remove(B3Propagation.SampledHeader);
        headers.Remove(B3Propagation.FlagsHeader);
        headers.Remove(B3Propagation.SingleHeader);
        var parentSpanId = telemetry.ParentSpanId;
        if (telemetry.B3Single)
        {
            headers.TryAddWithoutValidation(B3Propagation.SingleHeader, B3Propagation.FormatSingle(telemetry.TraceIdHex!, telemetry.SpanIdHex, parentSpanId, sampled));
        }
        else
        {
            B3Propagation.InjectMulti(headers, static (target, name, value) => target.TryAddWithoutValidation(name, value), telemetry.TraceIdHex!, telemetry.SpanIdHex, parentSpanId, sampled);
        }
    }

    /// <summary>Names, tags and ends the span (Envoy's and Istio's tag names, then the configured custom tags).</summary>
    public void Stop(HttpContext context, RequestState state, ServiceLabels service, long requestBytes, long responseBytes, bool istioTags = true, SpanCustomTags? customTags = null)
    {
        if (state.Telemetry.Span is not { } span)
        {
            return;
        }

        var request = context.Request;
        var status = context.Response.StatusCode;
        span.DisplayName = service.OperationName ?? (request.Host.Value ?? "-") + "/*";
        span.SetTag("component", "proxy");
        span.SetTag("node_id", _nodeId);
        if (istioTags)
        {
            span.SetTag("istio.canonical_service", _workload.CanonicalService);
            span.SetTag("istio.canonical_revision", _workload.CanonicalRevision);
            span.SetTag("istio.namespace", _workload.Namespace);
            span.SetTag("istio.mesh_id", _meshId);
        }
        span.SetTag("upstream_cluster", service.ClusterName);
        span.SetTag("upstream_cluster.name", service.ClusterName);
        span.SetTag("http.method", request.Method);
        span.SetTag("http.url", $"{request.Scheme}://{request.Host.Value}{request.Path.Value}{request.QueryString.Value}");
        span.SetTag("http.protocol", request.Protocol);
        span.SetTag("http.status_code", status.ToString(CultureInfo.InvariantCulture));
        span.SetTag("response_flags", state.Flags.ToShortString());
        span.SetTag("guid:x-request-id", state.RequestId);
        span.SetTag("downstream_cluster", request.Headers["x-envoy-downstream-service-cluster"] is { Count: > 0 } cluster ? cluster.ToString() : "-");
        span.SetTag("user_agent", request.Headers.UserAgent is { Count: > 0 } agent ? HeaderValueEncoding.ToText(agent.ToString()) : "-");
        span.SetTag("request_size", requestBytes.ToString(CultureInfo.InvariantCulture));
        span.SetTag("response_size", responseBytes.ToString(CultureInfo.InvariantCulture));
        if (state.Telemetry.Peer.Metadata is { } peer)
        {
            if (state.Direction == RequestDirection.Outbound || istioTags)
            {
                span.SetTag(state.Direction == RequestDirection.Outbound ? "peer.service" : "istio.source_workload", $"{peer.WorkloadName}.{peer.Namespace}");
            }
        }

        customTags?.Apply(span, request, state);
        if (status >= 500)
        {
            span.SetTag("error", "true");
            span.SetStatus(ActivityStatusCode.Error);
        }

        span.Stop();
    }
}
