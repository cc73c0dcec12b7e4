using System.Net.Http.Headers;
using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A compiled route retry policy: which outcomes Envoy's router would retry under <c>retry_on</c>, and the backoff.
/// </summary>
internal sealed class RetryPolicy
{
    private const RetryOn AnyReset = RetryOn.ServerError | RetryOn.GatewayError | RetryOn.Reset;
    // Indexed by status; only policies with retriable-status-codes have one (a mesh has hundreds of routes).
    private readonly bool[] _retriableStatus = [];

    public RetryPolicy(RetryPolicyConfig config)
    {
        Config = config;
        NumRetries = Math.Max(0, config.NumRetries);
        On = config.RetryOn;
        PerTryTimeout = config.PerTryTimeout is { } t && t > TimeSpan.Zero ? t : null;
        if ((On & RetryOn.RetriableStatusCodes) != 0 && !config.RetriableStatusCodes.IsEmpty)
        {
            _retriableStatus = new bool[600];
            foreach (var status in config.RetriableStatusCodes)
            {
                if (status is >= 100 and < 600)
                {
                    _retriableStatus[status] = true;
                }
            }
        }

        HasGrpcConditions = (On & (RetryOn.GrpcCancelled | RetryOn.GrpcDeadlineExceeded | RetryOn.GrpcInternal
            | RetryOn.GrpcResourceExhausted | RetryOn.GrpcUnavailable)) != 0;
    }

    public RetryPolicyConfig Config { get; }

    public int NumRetries { get; }

    public RetryOn On { get; }

    public TimeSpan? PerTryTimeout { get; }

    public bool HasGrpcConditions { get; }

    /// <summary>Whether a response with this status (and headers, for gRPC and rate-limit conditions) is retried.</summary>
    public bool IsRetriableResponse(int status, HttpResponseHeaders headers)
    {
        if ((On & RetryOn.ServerError) != 0 && status >= 500)
        {
            return true;
        }

        if ((On & RetryOn.GatewayError) != 0 && status is 502 or 503 or 504)
        {
            return true;
        }

        if ((On & RetryOn.Retriable4xx) != 0 && status == 409)
        {
            return true;
        }

        if (status < _retriableStatus.Length && _retriableStatus[status])
        {
            return true;
        }

        if ((On & RetryOn.EnvoyRateLimited) != 0 && headers.NonValidated.Contains("x-envoy-ratelimited"))
        {
            return true;
        }

        return HasGrpcConditions && IsRetriableGrpcStatus(headers);
    }

    /// <summary>Whether a failure with no response (Envoy: a stream reset) is retried.</summary>
    public bool IsRetriableFailure(UpstreamFailure failure) => failure switch
    {
        // connect-failure is "included in 5xx"; every reset reason is retried under 5xx, gateway-error and reset.
        UpstreamFailure.ConnectFailure => (On & (AnyReset | RetryOn.ConnectFailure | RetryOn.ResetBeforeRequest)) != 0,
        UpstreamFailure.RefusedStream => (On & (AnyReset | RetryOn.RefusedStream)) != 0,
        UpstreamFailure.Reset or UpstreamFailure.RemoteReset or UpstreamFailure.ProtocolError => (On & AnyReset) != 0,
        UpstreamFailure.PerTryTimeout => (On & AnyReset) != 0,
        _ => false,
    };

    /// <summary>Envoy's fully jittered exponential backoff: uniform in [0, min(base * 2^(n-1), max)].</summary>
    public TimeSpan Backoff(int retryNumber, Random random)
    {
        var baseMs = Config.BackoffBaseInterval.TotalMilliseconds;
        var maxMs = Config.EffectiveBackoffMax.TotalMilliseconds;
        var ceiling = Math.Min(baseMs * Math.Pow(2, Math.Min(retryNumber - 1, 30)), maxMs);
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    private bool IsRetriableGrpcStatus(HttpResponseHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues("grpc-status", out var values) || values.Count != 1)
        {
            return false;
        }

        var text = values.ToString();
        return text switch
        {
            "1" => (On & RetryOn.GrpcCancelled) != 0,
            "4" => (On & RetryOn.GrpcDeadlineExceeded) != 0,
            "8" => (On & RetryOn.GrpcResourceExhausted) != 0,
            "13" => (On & RetryOn.GrpcInternal) != 0,
            "14" => (On & RetryOn.GrpcUnavailable) != 0,
            _ => false,
        };
    }
}

/// <summary>How an upstream attempt failed when it produced no response.</summary>
internal enum UpstreamFailure
{
    None,

    /// <summary>The connection could not be made (refused, unreachable, connect timeout): flag UF.</summary>
    ConnectFailure,

    /// <summary>The connection closed or reset before a response: flag UC.</summary>
    Reset,

    /// <summary>The upstream refused the HTTP/2 stream (REFUSED_STREAM): flag UR.</summary>
    RefusedStream,

    /// <summary>The upstream reset the stream: flag UR.</summary>
    RemoteReset,

    /// <summary>The attempt's per-try timeout expired: flag UT.</summary>
    PerTryTimeout,

    /// <summary>The upstream's response did not parse (a bad status line or header, headers over the limit): flag UPE.</summary>
    ProtocolError,
}
