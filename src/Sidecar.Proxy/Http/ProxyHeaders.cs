namespace Sidecar.Proxy.Http;

/// <summary>Header names the data plane reads or writes, as Envoy and Istio name them.</summary>
internal static class ProxyHeaders
{
    public const string RequestId = "x-request-id";
    public const string ForwardedProto = "x-forwarded-proto";
    public const string UpstreamServiceTime = "x-envoy-upstream-service-time";
    public const string Overloaded = "x-envoy-overloaded";

    /// <summary>The path (with query) as received, sent upstream when a route rewrites it (Envoy's router does the same).</summary>
    public const string OriginalPath = "x-envoy-original-path";

    /// <summary>Envoy's attempt number on each upstream request (Istio sets <c>include_request_attempt_count</c> on its virtual hosts).</summary>
    public const string AttemptCount = "x-envoy-attempt-count";

    /// <summary>The response flags of a response the sidecar shaped (a local reply, an injected delay, a retry limit).</summary>
    public const string ResponseFlags = "x-envoy-response-flags";
    public const string GrpcStatus = "grpc-status";
    public const string GrpcMessage = "grpc-message";

    /// <summary>Headers of one hop (connection management) or of the message's framing, which a request built anew must not copy.</summary>
    public static bool IsHopByHopOrFraming(string name) =>
        name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("proxy-connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("trailer", StringComparison.OrdinalIgnoreCase)
        || name.Equals("upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase);

    /// <summary>Envoy's <c>server_name</c> on outbound listeners.</summary>
    public const string OutboundServerName = "envoy";

    /// <summary>Istio's <c>server_name</c> on inbound listeners.</summary>
    public const string InboundServerName = "istio-envoy";
}
