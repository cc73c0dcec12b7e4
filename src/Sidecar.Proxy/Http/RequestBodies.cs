using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Sidecar.Proxy.Http;

/// <summary>Whether a downstream request can carry a body, answered without a feature lookup where the framing tells.</summary>
internal static class RequestBodies
{
    /// <summary>
    /// An HTTP/1 request has a body only with a Content-Length above zero or chunking (RFC 9112 6.3); an HTTP/2 stream
    /// has one unless its headers ended it, which only the server's body detection knows.
    /// </summary>
    public static bool MayHaveBody(HttpRequest request)
    {
        if (request.ContentLength is { } length)
        {
            return length > 0;
        }

        return HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol)
            ? request.Headers.TransferEncoding.Count > 0
            : request.HttpContext.Features.Fetch<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
    }
}
