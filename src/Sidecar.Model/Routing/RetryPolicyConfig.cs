namespace Sidecar.Model;

/// <summary>
/// Envoy's <c>retry_on</c> conditions (router filter, "x-envoy-retry-on" / "x-envoy-retry-grpc-on"). Istio passes
/// <c>retries.retryOn</c> through; bare numbers there become <see cref="RetriableStatusCodes"/>.
/// </summary>
[Flags]
public enum RetryOn
{
    None = 0,

    /// <summary><c>5xx</c>: any 5xx response, or no response at all (reset, connect failure, timeout).</summary>
    ServerError = 1 << 0,

    /// <summary><c>gateway-error</c>: 502, 503 or 504, or no response.</summary>
    GatewayError = 1 << 1,

    /// <summary><c>reset</c>: the upstream did not respond (disconnect, reset, read timeout).</summary>
    Reset = 1 << 2,

    /// <summary><c>connect-failure</c>: the connection to the upstream failed (also connect timeout).</summary>
    ConnectFailure = 1 << 3,

    /// <summary><c>retriable-4xx</c>: 409.</summary>
    Retriable4xx = 1 << 4,

    /// <summary><c>refused-stream</c>: the upstream refused the HTTP/2 stream (REFUSED_STREAM).</summary>
    RefusedStream = 1 << 5,

    /// <summary><c>retriable-status-codes</c>: a status listed in the policy.</summary>
    RetriableStatusCodes = 1 << 6,

    /// <summary><c>reset-before-request</c>: reset before the request was fully sent.</summary>
    ResetBeforeRequest = 1 << 7,

    /// <summary><c>envoy-ratelimited</c>: the upstream answered with <c>x-envoy-ratelimited</c>.</summary>
    EnvoyRateLimited = 1 << 8,

    /// <summary><c>retriable-headers</c>: response headers matched (not expressible from Istio).</summary>
    RetriableHeaders = 1 << 9,

    /// <summary><c>http3-post-connect-failure</c>.</summary>
    Http3PostConnectFailure = 1 << 10,

    /// <summary>gRPC <c>cancelled</c> (status 1).</summary>
    GrpcCancelled = 1 << 16,

    /// <summary>gRPC <c>deadline-exceeded</c> (status 4).</summary>
    GrpcDeadlineExceeded = 1 << 17,

    /// <summary>gRPC <c>internal</c> (status 13).</summary>
    GrpcInternal = 1 << 18,

    /// <summary>gRPC <c>resource-exhausted</c> (status 8).</summary>
    GrpcResourceExhausted = 1 << 19,

    /// <summary>gRPC <c>unavailable</c> (status 14).</summary>
    GrpcUnavailable = 1 << 20,
}

/// <summary>An Envoy route <c>RetryPolicy</c>, from Istio's <c>HTTPRetry</c>.</summary>
public sealed record RetryPolicyConfig
{
    /// <summary>Envoy's default retry base interval.</summary>
    public static readonly TimeSpan DefaultBackoffBase = TimeSpan.FromMilliseconds(25);

    /// <summary>Retries after the first attempt (Istio's <c>attempts</c>).</summary>
    public int NumRetries { get; init; }

    public RetryOn RetryOn { get; init; }

    /// <summary>Status codes retried under <see cref="Model.RetryOn.RetriableStatusCodes"/>.</summary>
    public EquatableArray<int> RetriableStatusCodes { get; init; }

    /// <summary>The timeout of each attempt; null means only the route timeout applies.</summary>
    public TimeSpan? PerTryTimeout { get; init; }

    /// <summary>Backoff between attempts: exponential from this base with full jitter.</summary>
    public TimeSpan BackoffBaseInterval { get; init; } = DefaultBackoffBase;

    /// <summary>Cap on the backoff; null means 10 times the base, Envoy's default.</summary>
    public TimeSpan? BackoffMaxInterval { get; init; }

    /// <summary>Envoy's <c>previous_hosts</c> retry host predicate: prefer an endpoint not yet tried.</summary>
    public bool RetryOtherHosts { get; init; } = true;

    /// <summary>Envoy's <c>previous_priorities</c> retry priority (Istio's <c>retryRemoteLocalities</c>): a retry avoids the priority levels already tried.</summary>
    public bool RetryOtherPriorities { get; init; }

    /// <summary>Envoy's <c>host_selection_retry_max_attempts</c> (Istio sets 5).</summary>
    public int HostSelectionRetryMaxAttempts { get; init; } = 5;

    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan EffectiveBackoffMax => BackoffMaxInterval ?? BackoffBaseInterval * 10;
}
