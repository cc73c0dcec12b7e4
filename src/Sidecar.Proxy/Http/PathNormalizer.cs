using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sidecar.Model;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Istio's path normalization (<c>meshConfig.pathNormalization</c>), applied to every proxied request before routing
/// and authorization look at it. The result replaces <see cref="HttpRequest.Path"/>, so the routes, the
/// AuthorizationPolicy <c>paths</c>, the telemetry and the forwarded request all see the same path, as Envoy's
/// rewritten <c>:path</c> is.
/// <para>
/// Kestrel decodes every percent-encoding but <c>%2F</c> into <see cref="HttpRequest.Path"/>; Envoy's BASE
/// normalization (RFC 3986, Chromium's canonicalizer) decodes only unreserved characters and keeps the rest encoded
/// as sent, so a route or a policy written <c>/a%20b</c> must see <c>/a%20b</c>, and a backslash is a slash
/// (<c>/admin\x</c> is <c>/admin/x</c> to a DENY policy on <c>/admin/*</c>). A path without a <c>%</c>, a backslash
/// or a character Envoy escapes reads the same either way (Kestrel resolves dot segments too), so only the others are
/// rebuilt here from the request target as sent.
/// </para>
/// </summary>
internal static class PathNormalizer
{
    /// <summary>What makes the raw path read differently from Kestrel's decoded one under BASE.</summary>
    private static readonly SearchValues<char> NeedsCanonicalForm = SearchValues.Create("%\\\"<>`#");

    /// <summary>
    /// Normalizes the request's path in place. Returns false when the path must be refused with 400, as Envoy refuses
    /// a path that does not normalize (a <c>%00</c>) and a fragment, which a request target may not carry.
    /// </summary>
    public static bool Apply(HttpContext context, PathNormalization mode)
    {
        if (context.Features[typeof(IHttpRequestFeature)] is not IHttpRequestFeature feature)
        {
            return true;
        }

        var raw = PathOf(feature.RawTarget);
        if (raw.IsEmpty || !NeedsWork(raw, mode))
        {
            return true;
        }

        if (raw.Contains('#'))
        {
            // A fragment has no place in a request target (Envoy's codec refuses it in any normalization mode).
            return false;
        }

        var normalized = mode == PathNormalization.None ? raw.ToString() : Canonicalize(raw, mode);
        if (normalized is null)
        {
            return false;
        }

        if (!string.Equals(normalized, context.Request.Path.Value, StringComparison.Ordinal))
        {
            context.Request.Path = new PathString(normalized);
        }

        return true;
    }

    /// <summary>
    /// Envoy's canonical form of a path (no query): percent-encoded unreserved characters decoded (once), other
    /// encodings kept as sent (hex case too), backslashes made slashes, <c>"</c> <c>&lt;</c> <c>&gt;</c> and a backtick escaped, dot
    /// segments resolved (RFC 3986 5.2.4); then, per <paramref name="mode"/>, <c>%2F</c>/<c>%5C</c> decoded first and
    /// runs of slashes merged after. Null for a path Envoy refuses (an encoded NUL).
    /// </summary>
    public static string? Canonicalize(ReadOnlySpan<char> path, PathNormalization mode)
    {
        var decodeSlashes = mode == PathNormalization.DecodeAndMergeSlashes;
        Span<char> buffer = path.Length <= 256 ? stackalloc char[path.Length * 3] : new char[path.Length * 3];
        var length = 0;
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%' && i + 2 < path.Length && HexValue(path[i + 1]) is >= 0 and var high && HexValue(path[i + 2]) is >= 0 and var low)
            {
                var value = (char)((high << 4) | low);
                if (value == '\0')
                {
                    return null;
                }

                if (IsUnreserved(value))
                {
                    buffer[length++] = value;
                }
                else if (decodeSlashes && value is '/' or '\\')
                {
                    buffer[length++] = '/';
                }
                else
                {
                    path.Slice(i, 3).CopyTo(buffer[length..]);
                    length += 3;
                }

                i += 2;
            }
            else if (c == '\\')
            {
                buffer[length++] = '/';
            }
            else if (c is '"' or '<' or '>' or '`')
            {
                buffer[length++] = '%';
                buffer[length++] = HexDigit(c >> 4);
                buffer[length++] = HexDigit(c & 0xF);
            }
            else
            {
                buffer[length++] = c;
            }
        }

        length = RemoveDotSegments(buffer[..length]);
        if (mode is PathNormalization.MergeSlashes or PathNormalization.DecodeAndMergeSlashes)
        {
            length = MergeSlashes(buffer[..length]);
        }

        return new string(buffer[..length]);
    }

    /// <summary>The path of a request target: origin-form up to the query, or the path of an absolute-form target.</summary>
    private static ReadOnlySpan<char> PathOf(string? target)
    {
        var span = target.AsSpan();
        if (span.IsEmpty)
        {
            return span;
        }

        if (span[0] != '/')
        {
            // Absolute form (an HTTP proxy request): the path starts at the first slash after "scheme://authority".
            var scheme = span.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0)
            {
                return default;
            }

            var start = span[(scheme + 3)..].IndexOf('/');
            span = start < 0 ? default : span[(scheme + 3 + start)..];
        }

        var query = span.IndexOf('?');
        return query < 0 ? span : span[..query];
    }

    private static bool NeedsWork(ReadOnlySpan<char> raw, PathNormalization mode) => mode switch
    {
        // Kestrel decoded and resolved dot segments; the path as sent is what NONE forwards.
        PathNormalization.None => raw.IndexOfAny(NeedsCanonicalForm) >= 0 || raw.IndexOf("/.", StringComparison.Ordinal) >= 0,
        PathNormalization.Base => raw.IndexOfAny(NeedsCanonicalForm) >= 0,
        _ => raw.IndexOfAny(NeedsCanonicalForm) >= 0 || raw.IndexOf("//", StringComparison.Ordinal) >= 0,
    };

    /// <summary>RFC 3986 5.2.4 over a path that starts with '/', in place; returns the new length.</summary>
    private static int RemoveDotSegments(Span<char> path)
    {
        var output = 0;
        var i = 0;
        while (i < path.Length)
        {
            // Each pass looks at the segment starting at path[i], which is a '/'.
            var end = path[(i + 1)..].IndexOf('/');
            end = end < 0 ? path.Length : i + 1 + end;
            var segment = path[(i + 1)..end];
            if (segment is ".")
            {
                if (end == path.Length)
                {
                    path[output++] = '/';
                }
            }
            else if (segment is "..")
            {
                var previous = path[..output].LastIndexOf('/');
                output = previous < 0 ? 0 : previous;
                if (end == path.Length)
                {
                    path[output++] = '/';
                }
            }
            else
            {
                path[i..end].CopyTo(path[output..]);
                output += end - i;
            }

            i = end;
        }

        return output == 0 ? WriteRoot(path) : output;
    }

    private static int WriteRoot(Span<char> path)
    {
        path[0] = '/';
        return 1;
    }

    private static int MergeSlashes(Span<char> path)
    {
        var output = 0;
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] != '/' || output == 0 || path[output - 1] != '/')
            {
                path[output++] = path[i];
            }
        }

        return output;
    }

    /// <summary>RFC 3986's unreserved characters, the only ones Envoy's BASE normalization decodes.</summary>
    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);
}
