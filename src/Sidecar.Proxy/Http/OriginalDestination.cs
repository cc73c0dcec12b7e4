using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Where an ORIGINAL_DST cluster (PassthroughCluster) sends a request: the captured connection's original
/// destination, or, for a request sent to the sidecar as an explicit HTTP proxy, its authority.
/// </summary>
internal static class OriginalDestination
{
    public static bool TryGetPrefix(HttpContext context, [NotNullWhen(true)] out string? prefix)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items is { } items
            && items.TryGetValue(typeof(OriginalDestinationFeature), out var value)
            && value is OriginalDestinationFeature original)
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
