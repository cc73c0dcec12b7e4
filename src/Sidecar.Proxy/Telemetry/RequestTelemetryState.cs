using System.Diagnostics;
using Sidecar.Proxy.MetadataExchange;
using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// What telemetry keeps for one request between its hooks: the span, how the caller propagated its trace, and the
/// peer learned from the metadata exchange. Lives inside the pooled request state and is reset with it.
/// </summary>
internal sealed class RequestTelemetryState
{
    /// <summary>The request's span (CLIENT outbound, SERVER inbound); null when not sampled or tracing is off.</summary>
    public Activity? Span { get; set; }

    /// <summary>The caller's span id, when the trace came in with the request.</summary>
    public string? ParentSpanId { get; set; }

    /// <summary>The caller used B3 (multi-header, or the single <c>b3</c> header): answer in kind upstream.</summary>
    public bool B3 { get; set; }

    public bool B3Single { get; set; }

    /// <summary>The span's ids as hex, formatted once per sampled request for the headers sent upstream.</summary>
    public string? TraceIdHex { get; set; }

    public string? SpanIdHex { get; set; }

    /// <summary>
    /// The <c>traceparent</c> sent upstream, made once per request: this sidecar's span as parent when sampled, or its
    /// "not sampled" decision (flags 00) when it started the trace and did not sample it, so the next sidecar does not
    /// start a trace of its own (Envoy propagates its decision too). Null: the caller's headers go on unchanged.
    /// </summary>
    public string? TraceParent { get; set; }

    /// <summary>The other side's workload: the caller (inbound, from the request) or the callee (outbound, from the response).</summary>
    public WorkloadLabels Peer { get; set; } = WorkloadLabels.Unknown;

    /// <summary>
    /// Inbound: this workload's metadata exchange headers for the response, every response including the sidecar's own
    /// replies; set when the caller sent its own (a mesh peer), null otherwise.
    /// </summary>
    public PeerMetadataReply? MetadataReply { get; set; }

    /// <summary>Counts the bytes sent downstream while attached (between the start and end hooks).</summary>
    public ResponseByteCounter ResponseBytes { get; } = new();

    /// <summary>Counts the request body bytes read while attached (a body of no stated length).</summary>
    public RequestByteCounter RequestBytes { get; } = new();

    public void Reset()
    {
        Span = null;
        ParentSpanId = null;
        B3 = false;
        B3Single = false;
        TraceIdHex = null;
        SpanIdHex = null;
        TraceParent = null;
        Peer = WorkloadLabels.Unknown;
        MetadataReply = null;
        ResponseBytes.Detach();
        RequestBytes.Detach();
    }
}
