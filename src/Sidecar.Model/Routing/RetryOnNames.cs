namespace Sidecar.Model;

/// <summary>Envoy's names of the <see cref="RetryOn"/> conditions, as <c>retry_on</c>, Istio's <c>retryOn</c> and the
/// <c>x-envoy-retry-on</c> / <c>x-envoy-retry-grpc-on</c> request headers spell them.</summary>
public static class RetryOnNames
{
    /// <summary>The condition <paramref name="name"/> names; <see cref="RetryOn.None"/> for a name Envoy does not know.</summary>
    public static RetryOn Parse(ReadOnlySpan<char> name) => name switch
    {
        "5xx" => RetryOn.ServerError,
        "gateway-error" => RetryOn.GatewayError,
        "reset" => RetryOn.Reset,
        "reset-before-request" => RetryOn.ResetBeforeRequest,
        "connect-failure" => RetryOn.ConnectFailure,
        "retriable-4xx" => RetryOn.Retriable4xx,
        "refused-stream" => RetryOn.RefusedStream,
        "retriable-status-codes" => RetryOn.RetriableStatusCodes,
        "retriable-headers" => RetryOn.RetriableHeaders,
        "envoy-ratelimited" => RetryOn.EnvoyRateLimited,
        "http3-post-connect-failure" => RetryOn.Http3PostConnectFailure,
        "cancelled" => RetryOn.GrpcCancelled,
        "deadline-exceeded" => RetryOn.GrpcDeadlineExceeded,
        "internal" => RetryOn.GrpcInternal,
        "resource-exhausted" => RetryOn.GrpcResourceExhausted,
        "unavailable" => RetryOn.GrpcUnavailable,
        _ => RetryOn.None,
    };

    /// <summary>The conditions of a comma-separated list (names only; unknown ones ignored, as Envoy ignores them).</summary>
    public static RetryOn ParseList(string list)
    {
        var flags = RetryOn.None;
        foreach (var range in list.AsSpan().Split(','))
        {
            flags |= Parse(list.AsSpan()[range].Trim());
        }

        return flags;
    }
}
