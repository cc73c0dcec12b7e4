namespace Sidecar.Model;

/// <summary>What one piece of an Envoy access log format string prints (its command operator, or literal text).</summary>
public enum AccessLogCommand
{
    Literal,
    StartTime,

    /// <summary><c>%REQ(X?Y):Z%</c>: a request header, with a fallback header; <c>:path</c>, <c>:method</c>, <c>:authority</c>, <c>:scheme</c> too.</summary>
    RequestHeader,

    /// <summary><c>%REQ_WITHOUT_QUERY(X?Y):Z%</c>: a request header (in practice <c>:path</c>) without its query string.</summary>
    RequestHeaderWithoutQuery,

    /// <summary><c>%RESP(X?Y):Z%</c>: a response header.</summary>
    ResponseHeader,
    Protocol,
    ResponseCode,
    ResponseFlags,
    ResponseFlagsLong,
    ResponseCodeDetails,
    UpstreamTransportFailureReason,
    BytesReceived,
    BytesSent,
    Duration,
    UpstreamHost,
    UpstreamCluster,
    DownstreamLocalAddress,
    DownstreamLocalAddressWithoutPort,
    DownstreamLocalPort,
    DownstreamRemoteAddress,
    DownstreamRemoteAddressWithoutPort,
    DownstreamRemotePort,
    RouteName,
    RequestedServerName,
    Hostname,
    UpstreamRequestAttemptCount,

    /// <summary><c>%UPSTREAM_LOCAL_ADDRESS%</c>: the address and port the upstream connection left from.</summary>
    UpstreamLocalAddress,
    UpstreamLocalAddressWithoutPort,
    UpstreamLocalPort,
    UpstreamRemoteAddressWithoutPort,
    UpstreamRemotePort,

    /// <summary><c>%DOWNSTREAM_PEER_URI_SAN%</c>: the URI SAN of the downstream's client certificate (mTLS).</summary>
    DownstreamPeerUriSan,

    /// <summary><c>%DOWNSTREAM_LOCAL_URI_SAN%</c>: the URI SAN of the certificate the sidecar presented downstream.</summary>
    DownstreamLocalUriSan,

    /// <summary><c>%ENVIRONMENT(X)%</c>: an environment variable of the proxy.</summary>
    Environment,

    /// <summary><c>%TRACE_ID%</c>: the trace id of the request's span (hex); missing without a span.</summary>
    TraceId,

    /// <summary>An Envoy operator this sidecar does not record (TLS details, filter state, ...): printed as Envoy prints a missing value.</summary>
    NotRecorded,
}

/// <summary>
/// One piece of a parsed access log format: literal text, or a command operator with its argument (a header name,
/// a time format, a variable), an optional fallback header (<c>X?Y</c>) and a maximum length (<c>:Z</c>; 0 = none).
/// </summary>
public sealed record AccessLogSegment(AccessLogCommand Command, string Argument = "", string? Fallback = null, int MaxLength = 0);
