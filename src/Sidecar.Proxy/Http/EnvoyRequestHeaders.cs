using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The router's request headers an internal caller may send to change one request's policy (Envoy's connection
/// manager removes them from every other request, <see cref="InternalRequests"/>): <c>x-envoy-upstream-rq-timeout-ms</c>
/// replaces the route timeout (0: none), <c>x-envoy-upstream-rq-per-try-timeout-ms</c> the per-try timeout,
/// <c>x-envoy-retry-on</c> and <c>x-envoy-retry-grpc-on</c> add retry conditions (a route without retries gets one),
/// <c>x-envoy-max-retries</c> replaces the number of retries. The router consumes them: they do not go upstream.
/// </summary>
internal static class EnvoyRequestHeaders
{
    public const string Timeout = "x-envoy-upstream-rq-timeout-ms";
    public const string PerTryTimeout = "x-envoy-upstream-rq-per-try-timeout-ms";
    public const string RetryOnHeader = "x-envoy-retry-on";
    public const string RetryGrpcOn = "x-envoy-retry-grpc-on";
    public const string MaxRetries = "x-envoy-max-retries";

    /// <summary>True for the name of one of these headers.</summary>
    public static bool IsOverride(string name) =>
        name.Equals(Timeout, StringComparison.OrdinalIgnoreCase)
        || name.Equals(PerTryTimeout, StringComparison.OrdinalIgnoreCase)
        || name.Equals(RetryOnHeader, StringComparison.OrdinalIgnoreCase)
        || name.Equals(RetryGrpcOn, StringComparison.OrdinalIgnoreCase)
        || name.Equals(MaxRetries, StringComparison.OrdinalIgnoreCase);

    /// <summary>The route's timeout and retry policy as the request's headers amend them; the headers are removed.</summary>
    public static (TimeSpan? Timeout, RetryPolicy? Retry) Apply(HttpRequest request, TimeSpan? timeout, RetryPolicy? retry)
    {
        var headers = request.Headers;
        if (Take(headers, Timeout) is { } timeoutMs)
        {
            timeout = timeoutMs == 0 ? null : TimeSpan.FromMilliseconds(timeoutMs);
        }

        var on = Text(headers, RetryOnHeader) is { } retryOn ? RetryOnNames.ParseList(retryOn) : RetryOn.None;
        on |= Text(headers, RetryGrpcOn) is { } grpcOn ? RetryOnNames.ParseList(grpcOn) : RetryOn.None;
        var maxRetries = Take(headers, MaxRetries);
        var perTry = Take(headers, PerTryTimeout);
        if (on == RetryOn.None && maxRetries is null && perTry is null)
        {
            return (timeout, retry);
        }

        // Envoy's default when only the headers ask for retries is one retry.
        var config = retry?.Config ?? new RetryPolicyConfig { NumRetries = on == RetryOn.None ? 0 : 1 };
        config = config with
        {
            RetryOn = config.RetryOn | on,
            NumRetries = maxRetries is { } n && (retry is not null || on != RetryOn.None) ? (int)Math.Min(n, int.MaxValue) : config.NumRetries,
            // A per-try timeout at or above the request's own timeout is ignored, as in Envoy's finalTimeout.
            PerTryTimeout = perTry is { } ms && ms > 0 && (timeout is null || TimeSpan.FromMilliseconds(ms) < timeout) ? TimeSpan.FromMilliseconds(ms) : config.PerTryTimeout,
        };
        return (timeout, new RetryPolicy(config));
    }

    private static long? Take(IHeaderDictionary headers, string name) =>
        Text(headers, name) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string? Text(IHeaderDictionary headers, string name)
    {
        if (!headers.TryGetValue(name, out var values))
        {
            return null;
        }

        headers.Remove(name);
        return values.ToString();
    }
}
