using System.Collections.Concurrent;
using System.Globalization;

namespace Sidecar.Proxy.Http;

/// <summary>
/// What Envoy's router tells the upstream about the deadline it applies (FilterUtility::finalTimeout):
/// <c>x-envoy-expected-rq-timeout-ms</c> is the per-try timeout when it is below the request's timeout, else the
/// request's; and because Istio sets <c>max_grpc_timeout</c> on every route, a gRPC request's <c>grpc-timeout</c> is
/// rewritten to the same value, so the server stops when the proxy gives up. No timeout, no header.
/// </summary>
internal static class ExpectedTimeout
{
    public const string HeaderName = "x-envoy-expected-rq-timeout-ms";

    // Route timeouts are few distinct values; callers' gRPC deadlines are not, so the cache is bounded.
    private const int CacheLimit = 1024;
    private static readonly ConcurrentDictionary<long, (string Ms, string Grpc)> Cache = new();

    /// <summary>The per-try timeout when below the request's timeout (which may be none), else the request's.</summary>
    public static TimeSpan? Of(TimeSpan? requestTimeout, TimeSpan? perTryTimeout) =>
        perTryTimeout is { } perTry && (requestTimeout is not { } limit || perTry < limit) ? perTry : requestTimeout;

    /// <summary>The header values for <paramref name="timeout"/>: milliseconds, and the gRPC form (<c>500m</c>).</summary>
    public static (string Ms, string Grpc) Texts(TimeSpan timeout)
    {
        var ms = Math.Max(1, (long)timeout.TotalMilliseconds);
        if (Cache.TryGetValue(ms, out var texts))
        {
            return texts;
        }

        texts = (ms.ToString(CultureInfo.InvariantCulture), GrpcText(ms));
        if (Cache.Count < CacheLimit)
        {
            Cache.TryAdd(ms, texts);
        }

        return texts;
    }

    /// <summary>gRPC's TimeoutValue is at most 8 digits: larger values move up a unit, as Envoy's toGrpcTimeout does.</summary>
    private static string GrpcText(long ms)
    {
        const long MaxValue = 99_999_999;
        if (ms <= MaxValue)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ms}m");
        }

        var seconds = ms / 1000;
        if (seconds <= MaxValue)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{seconds}S");
        }

        var minutes = seconds / 60;
        return minutes <= MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"{minutes}M")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Min(minutes / 60, MaxValue)}H");
    }
}
