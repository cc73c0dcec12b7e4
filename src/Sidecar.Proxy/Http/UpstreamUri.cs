using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The URI a request is forwarded to. The proxied path is in its wire form (<see cref="PathNormalizer"/>: what Envoy
/// forwards, with reserved characters still percent-encoded), so it is sent as it is. YARP's
/// <see cref="RequestUtilities.MakeDestinationAddress"/> takes a decoded path and escapes every '%' again
/// (<c>/a%2Fb</c> would reach the upstream as <c>/a%252Fb</c>), and System.Uri would resolve the dot segments a
/// NONE-normalized path keeps; both are bypassed for the paths they would change.
/// </summary>
internal static class UpstreamUri
{
    private static readonly UriCreationOptions AsSent = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <summary>The URI for <paramref name="path"/> (wire form) and the request's query.</summary>
    public static Uri For(string destinationPrefix, string path, QueryString query) =>
        ForEncoded(destinationPrefix, path, query) ?? RequestUtilities.MakeDestinationAddress(destinationPrefix, new PathString(path), query);

    /// <summary>
    /// The URI for a path YARP's default would change, built as sent; null for the paths it forwards as they are
    /// (no '%', no dot segment), which is nearly every request.
    /// </summary>
    public static Uri? ForEncoded(string destinationPrefix, string path, QueryString query)
    {
        // One scan for the common path, which has neither.
        var span = path.AsSpan();
        var at = span.IndexOfAny('%', '.');
        if (at < 0 || (span[at] == '.' && span[at..].IndexOf('%') < 0 && span.IndexOf("/.", StringComparison.Ordinal) < 0))
        {
            return null;
        }

        // A prefix's trailing slash is the path's leading one, as in YARP's own join.
        var prefix = destinationPrefix.AsSpan();
        if (prefix.EndsWith('/'))
        {
            prefix = prefix[..^1];
        }

        return new Uri(string.Concat(prefix, path, query.Value), in AsSent);
    }
}
