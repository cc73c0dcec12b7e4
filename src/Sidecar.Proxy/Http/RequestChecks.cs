using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Sidecar.Proxy.Http;

/// <summary>
/// What Envoy's HTTP codec and connection manager refuse before any filter runs, where Kestrel would let the request
/// through: a method not in upper case (400, Istio's normalization reference) or, on HTTP/1, not one Envoy's parser
/// knows (400), HTTP/1.0 unless
/// <c>ISTIO_META_HTTP10</c> allows it (426, <c>accept_http_10</c>), a transfer coding other than <c>chunked</c>
/// (501: the upstream would get the body without its coding), and a request framed both by <c>Content-Length</c> and
/// by chunks (400, <c>http1.content_length_and_chunked_not_allowed</c>: Istio leaves <c>allow_chunked_length</c> off),
/// and an upgrade other than websocket (403).
/// Each is a codec error in Envoy, which closes the connection after the reply.
/// </summary>
internal static class RequestChecks
{
    private const string KestrelRenamedContentLength = "X-Content-Length";

    /// <summary>Envoy's details for what its HTTP/1 parser refuses (a method it does not know, one not in upper case).</summary>
    private const string CodecError = "http1.codec_error";

    /// <summary>
    /// The methods Envoy's HTTP/1 parser accepts (Balsa's list, http-parser's before it); any other is a codec error,
    /// 400, as Istio leaves <c>allow_custom_methods</c> off. WebDAV's and the cache's PURGE are on it.
    /// </summary>
    private static readonly FrozenSet<string> Http1Methods = FrozenSet.Create(StringComparer.Ordinal,
        "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "MERGE", "MKACTIVITY",
        "MKCALENDAR", "MKCOL", "MOVE", "MSEARCH", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE",
        "PUT", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE");

    /// <summary>
    /// The status to refuse the request with, or 0 to let it through; <paramref name="details"/>: Envoy's
    /// <c>%RESPONSE_CODE_DETAILS%</c> for it, and <paramref name="codecError"/> when Envoy's codec refuses it (response
    /// flag DPE) rather than its connection manager.
    /// </summary>
    public static int Refusal(HttpRequest request, bool acceptHttp10, out string details, out bool codecError)
    {
        details = CodecError;
        codecError = true;
        var method = request.Method;
        if (method.AsSpan().ContainsAnyInRange('a', 'z'))
        {
            return StatusCodes.Status400BadRequest;
        }

        // Kestrel's method strings for GET and POST are its interned constants: those skip the set.
        if (!ReferenceEquals(method, HttpMethods.Get) && !ReferenceEquals(method, HttpMethods.Post) && !HttpProtocol.IsHttp2(request.Protocol)
            && !HttpProtocol.IsHttp3(request.Protocol) && !Http1Methods.Contains(method))
        {
            return StatusCodes.Status400BadRequest;
        }

        // Kestrel's protocol strings are interned, so IsHttp11 answers by reference; IsHttp10 on "HTTP/1.1" would
        // compare the text ignoring case (about 140 instructions).
        if (!acceptHttp10 && !HttpProtocol.IsHttp11(request.Protocol) && HttpProtocol.IsHttp10(request.Protocol))
        {
            details = "low_version";
            return StatusCodes.Status426UpgradeRequired;
        }

        var codings = request.Headers.TransferEncoding;
        if (codings.Count > 0 && !(codings.Count == 1 && string.Equals(codings[0], "chunked", StringComparison.OrdinalIgnoreCase)))
        {
            details = "http1.invalid_transfer_encoding";
            return StatusCodes.Status501NotImplemented;
        }

        // Kestrel lets chunking win and renames the Content-Length it saw to X-Content-Length (RFC 9112 6.3), which
        // would then travel upstream; Envoy refuses the ambiguous framing instead.
        if (codings.Count > 0 && request.Headers.ContainsKey(KestrelRenamedContentLength))
        {
            details = "http1.content_length_and_chunked_not_allowed";
            return StatusCodes.Status400BadRequest;
        }

        // The connection manager's own refusal, not the codec's: no response flag.
        details = "upgrade_failed";
        codecError = false;
        return request.Headers.Upgrade.Count > 0 ? UpgradeRefusal(request) : 0;
    }

    /// <summary>
    /// Istio's connection managers allow the websocket upgrade only: another upgrade is refused with 403
    /// (Envoy's <c>upgrade_failed</c>); an HTTP/1.1 <c>Upgrade: h2c</c> is not an upgrade Envoy performs, so its
    /// headers are removed and the request goes on as HTTP/1.1.
    /// </summary>
    private static int UpgradeRefusal(HttpRequest request)
    {
        var headers = request.Headers;
        var upgrade = headers.Upgrade.ToString();
        if (upgrade.Equals("h2c", StringComparison.OrdinalIgnoreCase))
        {
            headers.Remove(HeaderNames.Upgrade);
            headers.Remove("HTTP2-Settings");
            return 0;
        }

        var isUpgrade = false;
        foreach (var token in headers.Connection)
        {
            isUpgrade |= token is not null && token.Split(',', StringSplitOptions.TrimEntries).Contains("upgrade", StringComparer.OrdinalIgnoreCase);
        }

        return isUpgrade && !upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase) ? StatusCodes.Status403Forbidden : 0;
    }
}
