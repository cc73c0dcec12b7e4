using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Where an ORIGINAL_DST cluster (PassthroughCluster, inbound clusters) sends a request: the captured
/// connection's original destination, or, for a request sent to the sidecar as an explicit HTTP proxy, its authority.
/// </summary>
internal static class OriginalDestination
{
    public static bool TryGetPrefix(HttpContext context, ProxyConnection? connection, [NotNullWhen(true)] out string? prefix, [NotNullWhen(true)] out string? upstreamHost)
    {
        if (connection?.OriginalDestination is { } original)
        {
            prefix = original.DestinationPrefix;
            upstreamHost = original.Authority;
            return true;
        }

        var host = context.Request.Host;
        if (!host.HasValue || IsThisListener(context.Connection, host))
        {
            prefix = null;
            upstreamHost = null;
            return false;
        }

        upstreamHost = host.Value;
        prefix = string.Concat("http://", upstreamHost);
        return true;
    }

    /// <summary>
    /// Whether the authority names the listener the request arrived on: passed through, the request would come back to
    /// it without end. Istio blackholes traffic addressed to the capture port itself (virtualOutbound-blackhole).
    /// </summary>
    private static bool IsThisListener(ConnectionInfo connection, HostString host)
    {
        var port = host.Port ?? 80;
        if (port != connection.LocalPort)
        {
            return false;
        }

        var local = connection.LocalIpAddress;
        var name = host.Host.Trim('[', ']');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return local is not null && System.Net.IPAddress.IsLoopback(local);
        }

        return System.Net.IPAddress.TryParse(name, out var address)
            && (address.Equals(local) || address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any)
                || (local is { IsIPv4MappedToIPv6: true } && address.Equals(local.MapToIPv4())));
    }
}
