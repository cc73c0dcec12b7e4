using System.Diagnostics;
using System.Net;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// One request as the access log prints it: references to strings the request already holds and plain numbers,
/// captured on the request's thread (no formatting there) and turned into text by the background writer.
/// </summary>
internal readonly record struct AccessLogEntry
{
    public DateTimeOffset StartTime { get; init; }

    public string Method { get; init; }

    /// <summary>%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: the path as received (before rewrites), without the query.</summary>
    public string? Path { get; init; }

    public string? Query { get; init; }

    public string Protocol { get; init; }

    public int ResponseCode { get; init; }

    public ResponseFlags Flags { get; init; }

    /// <summary>%RESPONSE_CODE_DETAILS%: via_upstream, or why the sidecar answered itself.</summary>
    public string? ResponseCodeDetails { get; init; }

    /// <summary>Why the upstream connection failed (<c>delayed_connect_error:_111</c>); null when it did not.</summary>
    public string? UpstreamTransportFailureReason { get; init; }

    public long BytesReceived { get; init; }

    public long BytesSent { get; init; }

    public long DurationMs { get; init; }

    public string? UpstreamServiceTime { get; init; }

    public string? ForwardedFor { get; init; }

    public string? UserAgent { get; init; }

    public string? RequestId { get; init; }

    public string? Authority { get; init; }

    public string? UpstreamHost { get; init; }

    public string? UpstreamCluster { get; init; }

    /// <summary>%UPSTREAM_LOCAL_ADDRESS%: where the upstream connection left from; null when unknown or none was made.</summary>
    public IPEndPoint? UpstreamLocal { get; init; }

    /// <summary>%DOWNSTREAM_PEER_URI_SAN%: the mTLS peer's SPIFFE id; null without mTLS.</summary>
    public string? DownstreamPeerUriSan { get; init; }

    /// <summary>%DOWNSTREAM_LOCAL_URI_SAN%: this workload's SPIFFE id where it presented its certificate downstream.</summary>
    public string? DownstreamLocalUriSan { get; init; }

    public IPAddress? DownstreamLocalAddress { get; init; }

    public int DownstreamLocalPort { get; init; }

    public IPAddress? DownstreamRemoteAddress { get; init; }

    public int DownstreamRemotePort { get; init; }

    public string? RouteName { get; init; }

    /// <summary>The server name of the downstream TLS handshake (an mTLS peer's <c>outbound_.9080_._.reviews...</c>); null without TLS.</summary>
    public string? RequestedServerName { get; init; }

    /// <summary>%UPSTREAM_REQUEST_ATTEMPT_COUNT%: requests sent upstream (0: never forwarded).</summary>
    public int Attempts { get; init; }

    /// <summary>The trace of the request's span, which an OpenTelemetry access log record carries; default without a span.</summary>
    public ActivityTraceId TraceId { get; init; }

    public ActivitySpanId SpanId { get; init; }

    /// <summary>The request headers a custom format names, in <see cref="CustomAccessLogFormat"/>'s order; null otherwise.</summary>
    public string?[]? RequestHeaderValues { get; init; }

    /// <summary>The response headers a custom format names; null otherwise.</summary>
    public string?[]? ResponseHeaderValues { get; init; }
}
