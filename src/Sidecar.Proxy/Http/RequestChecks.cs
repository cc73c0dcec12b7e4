using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Http;

/// <summary>
/// What Envoy's HTTP codec and connection manager refuse before any filter runs, where Kestrel would let the request
/// through: a method not in upper case (400, Istio's normalization reference), HTTP/1.0 unless
/// <c>ISTIO_META_HTTP10</c> allows it (426, <c>accept_http_10</c>), a transfer coding other than <c>chunked</c>
/// (501: the upstream would get the body without its coding), and a request framed both by <c>Content-Length</c> and
/// by chunks (400, <c>http1.content_length_and_chunked_not_allowed</c>: Istio leaves <c>allow_chunked_length</c> off).
/// Each is a codec error in Envoy, which closes the connection after the reply.
/// </summary>
internal static class RequestChecks
{
    private const string KestrelRenamedContentLength = "X-Content-Length";

    /// <summary>The status to refuse the request with, or 0 to let it through.</summary>
    public static int Refusal(HttpRequest request, bool acceptHttp10)
    {
        if (request.Method.AsSpan().ContainsAnyInRange('a', 'z'))
        {
            return StatusCodes.Status400BadRequest;
        }

        if (!acceptHttp10 && HttpProtocol.IsHttp10(request.Protocol))
        {
            return StatusCodes.Status426UpgradeRequired;
        }

        var codings = request.Headers.TransferEncoding;
        if (codings.Count > 0 && !(codings.Count == 1 && string.Equals(codings[0], "chunked", StringComparison.OrdinalIgnoreCase)))
        {
            return StatusCodes.Status501NotImplemented;
        }

        // Kestrel lets chunking win and renames the Content-Length it saw to X-Content-Length (RFC 9112 6.3), which
        // would then travel upstream; Envoy refuses the ambiguous framing instead.
        if (codings.Count > 0 && request.Headers.ContainsKey(KestrelRenamedContentLength))
        {
            return StatusCodes.Status400BadRequest;
        }

        return 0;
    }
}
