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
    public static bool TryGetPrefix(HttpContext context, [NotNullWhen(true)] out string? prefix)
    {
        if (ProxyConnection.From(context)?.OriginalDestination is { } original)
        {
            prefix = original.DestinationPrefix;
            return true;
        }

        var host = context.Request.Host;
        if (!host.HasValue)
        {
            prefix = null;
            return false;
        }

        prefix = string.Concat("http://", host.Value);
        return true;
    }
}
