using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's connection manager on a sidecar (Istio leaves <c>use_remote_address</c> off): a request is internal only
/// when its <c>x-forwarded-for</c> holds exactly one address and that address is internal (RFC 1918, loopback, IPv6
/// unique local). Any other request loses the <c>x-envoy-*</c> headers only an internal caller may send
/// (<c>cleanInternalHeaders</c>): an app cannot raise its own timeouts or add retries, and a caller's expected timeout
/// does not reach the app.
/// </summary>
internal static class InternalRequests
{
    private static readonly FrozenSet<string> InternalOnlyHeaders = new[]
    {
        "x-envoy-retriable-status-codes",
        "x-envoy-retriable-header-names",
        EnvoyRequestHeaders.RetryOnHeader,
        EnvoyRequestHeaders.RetryGrpcOn,
        EnvoyRequestHeaders.MaxRetries,
        "x-envoy-upstream-alt-stat-name",
        EnvoyRequestHeaders.Timeout,
        EnvoyRequestHeaders.PerTryTimeout,
        "x-envoy-upstream-rq-timeout-alt-response",
        ExpectedTimeout.HeaderName,
        "x-envoy-force-trace",
        "x-envoy-ip-tags",
        "x-envoy-original-url",
        "x-envoy-hedge-on-per-try-timeout",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether only an internal caller may send this header.</summary>
    public static bool IsInternalOnly(string name) => InternalOnlyHeaders.Contains(name);

    /// <summary>Whether the request is internal, by its <c>x-forwarded-for</c>.</summary>
    public static bool IsInternal(StringValues forwardedFor) =>
        forwardedFor.Count == 1
        && forwardedFor[0] is { } value
        && !value.Contains(',', StringComparison.Ordinal)
        && IPAddress.TryParse(value.AsSpan().Trim(), out var address)
        && IsInternalAddress(address);

    /// <summary>Removes the internal-only headers of a request that is not internal.</summary>
    public static void RemoveInternalOnlyHeaders(IHeaderDictionary headers)
    {
        foreach (var name in InternalOnlyHeaders)
        {
            headers.Remove(name);
        }
    }

    /// <summary>Envoy's default internal addresses: RFC 1918 and loopback for IPv4, unique local and loopback for IPv6.</summary>
    private static bool IsInternalAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> bytes = stackalloc byte[4];
            address.TryWriteBytes(bytes, out _);
            return bytes[0] == 10 || bytes[0] == 127 || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16) || (bytes[0] == 192 && bytes[1] == 168);
        }

        if (IPAddress.IsLoopback(address))
        {
            return true;
        }

        Span<byte> v6 = stackalloc byte[16];
        address.TryWriteBytes(v6, out _);
        return v6[0] == 0xFD;
    }
}
