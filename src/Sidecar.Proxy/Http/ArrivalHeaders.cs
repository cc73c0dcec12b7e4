using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Sidecar.Proxy.Http;

/// <summary>
/// What the proxy needs to know of an arriving request's headers, read in one pass over them: the caller's
/// <c>x-request-id</c> and <c>x-forwarded-for</c>; whether it sent <c>x-forwarded-proto</c>, <c>x-envoy-attempt-count</c>,
/// <c>x-forwarded-client-cert</c>, any of the router's <see cref="EnvoyRequestHeaders"/> or another header only an
/// internal caller may send (<see cref="InternalRequests"/>); and a filter over the names it carries, which answers
/// "absent" for most names a route or a metric tag asks for; the bytes the headers took on the wire; and whether a
/// value holds a character Envoy's codec refuses.
/// </summary>
/// <remarks>
/// Kestrel knows none of these names, so asking for each one by name compares it with every known header of the
/// same length, then hashes it into the unknown-header dictionary: the nine lookups cost about 2,500 instructions per
/// request, one pass over a typical request's headers a fraction of that. The filter stays true only while nothing
/// adds request headers after the pass: it is read again after the filters that may (JWT outputs, ext_authz).
/// </remarks>
internal readonly record struct ArrivalHeaders(
    StringValues RequestId,
    bool ForwardedProto,
    bool AttemptCount,
    bool ForwardedClientCert,
    bool EnvoyOverrides,
    ulong NameFilter,
    bool EnvoyInternalOnly = false,
    StringValues ForwardedFor = default,
    long HeaderBytes = 0,
    bool InvalidValue = false)
{
    private const string EnvoyPrefix = "x-envoy-";

    /// <summary>No pass made: every name may be present.</summary>
    public static readonly ArrivalHeaders Unread = new(default, true, true, true, true, ulong.MaxValue, true);

    private const string ForwardedForHeader = "x-forwarded-for";

    public static ArrivalHeaders Read(IHeaderDictionary headers)
    {
        StringValues requestId = default, forwardedFor = default;
        bool forwardedProto = false, attemptCount = false, forwardedClientCert = false, envoyOverrides = false, envoyInternalOnly = false;
        var filter = 0UL;
        var headerBytes = 0L;
        var invalidValue = false;
        foreach (var (name, value) in headers)
        {
            filter |= FilterBit(name);
            headerBytes += LineBytes(name, value, ref invalidValue);

            // Every name looked for starts with "x-" and has at least 12 characters: Host, Accept, User-Agent and
            // the rest are passed over at their first characters.
            if (name.Length < ProxyHeaders.RequestId.Length || (name[0] | 0x20) != 'x' || name[1] != '-')
            {
                continue;
            }

            if (name.Equals(ProxyHeaders.RequestId, StringComparison.OrdinalIgnoreCase))
            {
                requestId = value;
            }
            else if (name.Equals(ProxyHeaders.ForwardedProto, StringComparison.OrdinalIgnoreCase))
            {
                forwardedProto = true;
            }
            else if (name.Equals(Security.ForwardedClientCert.HeaderName, StringComparison.OrdinalIgnoreCase))
            {
                forwardedClientCert = true;
            }
            else if (name.Equals(ForwardedForHeader, StringComparison.OrdinalIgnoreCase))
            {
                forwardedFor = value;
            }
            else if (name.StartsWith(EnvoyPrefix, StringComparison.OrdinalIgnoreCase))
            {
                attemptCount |= name.Equals(ProxyHeaders.AttemptCount, StringComparison.OrdinalIgnoreCase);
                envoyOverrides |= EnvoyRequestHeaders.IsOverride(name);
                envoyInternalOnly |= InternalRequests.IsInternalOnly(name);
            }
        }

        return new ArrivalHeaders(requestId, forwardedProto, attemptCount, forwardedClientCert, envoyOverrides, filter, envoyInternalOnly, forwardedFor, headerBytes, invalidValue);
    }

    /// <summary>
    /// The request's bytes on an HTTP/1 connection: its line, these headers and the blank line, and the body
    /// (<paramref name="bodyBytes"/>; a chunked body's framing is not counted).
    /// </summary>
    public long WireBytes(HttpRequest request, string? rawTarget, long bodyBytes) =>
        request.Method.Length + 1 + (rawTarget?.Length ?? 1) + 1 + request.Protocol.Length + 2 + HeaderBytes + 2 + bodyBytes;

    // "name: value\r\n" for each value (Kestrel joins repeated headers into one entry); and a value's characters
    // checked while it is at hand.
    private static long LineBytes(string name, StringValues values, ref bool invalidValue)
    {
        if (values.Count == 1)
        {
            var single = values[0].AsSpan();
            invalidValue |= HasInvalidChar(single);
            return name.Length + 4 + single.Length;
        }

        var bytes = 0L;
        foreach (var value in values)
        {
            invalidValue |= HasInvalidChar(value);
            bytes += name.Length + 4 + (value?.Length ?? 0);
        }

        return bytes;
    }

    /// <summary>
    /// What Envoy's <c>HeaderUtility::headerValueIsValid</c> refuses in a value: a control character other than
    /// horizontal tab, or DEL (RFC 9110's field-vchar, SP and HTAB pass; obs-text passes, <c>ObsTextOption::kAllow</c>).
    /// Printable ASCII is the common case: one vectorized scan finds where it ends, if it does.
    /// </summary>
    private static bool HasInvalidChar(ReadOnlySpan<char> value)
    {
        var first = value.IndexOfAnyExceptInRange(' ', '~');
        if (first < 0)
        {
            return false;
        }

        foreach (var c in value[first..])
        {
            if ((c < ' ' && c != '\t') || c == '\u007f')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>False when the request certainly does not carry <paramref name="name"/> (compared as header names are, ignoring case).</summary>
    public bool MayContain(string name) => (NameFilter & FilterBit(name)) != 0 || !System.Text.Ascii.IsValid(name);

    // Length, first and last character, ASCII case folded (Kestrel's names are ASCII tokens; a name to look up
    // that is not ASCII is never ruled out): names of one length rarely share both ends. One bit of 64.
    private static ulong FilterBit(string name) =>
        name.Length == 0 ? 1UL : 1UL << (int)((uint)(name.Length * 7 + (name[0] | 0x20) * 3 + (name[^1] | 0x20)) % 64);
}
