namespace Sidecar.Model;

/// <summary>Envoy's names of the <see cref="RetryOn"/> conditions, as <c>retry_on</c>, Istio's <c>retryOn</c> and the
/// <c>x-envoy-retry-on</c> / <c>x-envoy-retry-grpc-on</c> request headers spell them.</summary>
public static class RetryOnNames
{
    /// <summary>Every condition with its name, in the order Envoy documents them.</summary>
    private static readonly (RetryOn Flag, string Name)[] Names =
    [
        (RetryOn.ServerError, "5xx"),
        (RetryOn.GatewayError, "gateway-error"),
        (RetryOn.Reset, "reset"),
        (RetryOn.ResetBeforeRequest, "reset-before-request"),
        (RetryOn.ConnectFailure, "connect-failure"),
        (RetryOn.EnvoyRateLimited, "envoy-ratelimited"),
        (RetryOn.Retriable4xx, "retriable-4xx"),
        (RetryOn.RefusedStream, "refused-stream"),
        (RetryOn.RetriableStatusCodes, "retriable-status-codes"),
        (RetryOn.RetriableHeaders, "retriable-headers"),
        (RetryOn.Http3PostConnectFailure, "http3-post-connect-failure"),
        (RetryOn.GrpcCancelled, "cancelled"),
        (RetryOn.GrpcDeadlineExceeded, "deadline-exceeded"),
        (RetryOn.GrpcInternal, "internal"),
        (RetryOn.GrpcResourceExhausted, "resource-exhausted"),
        (RetryOn.GrpcUnavailable, "unavailable"),
    ];

    /// <summary>The condition <paramref name="name"/> names; <see cref="RetryOn.None"/> for a name Envoy does not know.</summary>
    public static RetryOn Parse(ReadOnlySpan<char> name)
    {
        foreach (var (flag, known) in Names)
        {
            if (name.SequenceEqual(known))
            {
                return flag;
            }
        }

        return RetryOn.None;
    }

    /// <summary>Envoy's comma-separated <c>retry_on</c> for <paramref name="conditions"/>.</summary>
    public static string Format(RetryOn conditions) =>
        string.Join(',', Names.Where(n => (conditions & n.Flag) != 0).Select(n => n.Name));

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
