using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The <c>grpc-timeout</c> request header (gRPC over HTTP/2: 1 to 8 digits and a unit, H M S m u n). Istio writes
/// <c>max_grpc_timeout</c> (the route's timeout, 0 for none) on every route, so Envoy bounds a gRPC call by its caller's
/// deadline, capped by the route's timeout when it has one.
/// </summary>
internal static class GrpcTimeout
{
    public const string HeaderName = "grpc-timeout";

    /// <summary>The deadline a gRPC request carries, or null (not gRPC, no header, or one that does not parse).</summary>
    public static TimeSpan? Of(HttpRequest request)
    {
        if (!LocalReply.IsGrpc(request) || !request.Headers.TryGetValue(HeaderName, out var values) || values.Count != 1)
        {
            return null;
        }

        return Parse(values[0]);
    }

    public static TimeSpan? Parse(string? value)
    {
        if (value is not { Length: >= 2 and <= 9 }
            || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    /// <summary>The timeout a request runs under: the route's, or the caller's gRPC deadline when it is sooner.</summary>
    public static TimeSpan? Effective(TimeSpan? route, HttpRequest request) =>
        Of(request) is { } deadline && (route is not { } limit || deadline < limit) ? deadline : route;
}
