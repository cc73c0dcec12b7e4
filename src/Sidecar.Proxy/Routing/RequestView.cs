using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// The parts of a request that routing looks at, read once. Pseudo-headers (<c>:method</c>, <c>:authority</c>,
/// <c>:scheme</c>, <c>:path</c>) resolve to the request line as Envoy exposes them to header matchers.
/// </summary>
internal readonly struct RequestView
{
    public RequestView(HttpRequest request, Http.RequestState? state = null)
    {
        Request = request;
        Path = request.Path.Value ?? "/";
        Authority = AuthorityOf(request);
        _state = state;
    }

    public RequestView(HttpRequest request, string path, string authority)
    {
        Request = request;
        Path = path;
        Authority = authority;
    }

    /// <summary>The proxy's state of the request: the <c>x-request-id</c> it made is a header to match too.</summary>
    private readonly Http.RequestState? _state;

    public HttpRequest Request { get; }

    /// <summary>The path without the query string.</summary>
    public string Path { get; }

    /// <summary>The Host header (HTTP/1) or :authority (HTTP/2), with any port.</summary>
    public string Authority { get; }

    /// <summary>
    /// The authority as the client sent it (HTTP/1's Host header, HTTP/2's :authority, which Kestrel presents as Host),
    /// as Envoy matches domains: the raw header, not <see cref="HttpRequest.Host"/>, which decodes punycode (and
    /// parses the header on every read).
    /// </summary>
    public static string AuthorityOf(HttpRequest request) => request.Headers.Host.ToString();

    /// <summary>
    /// The header's value for matching: Envoy joins repeated headers with ',' before matching. Returns false when
    /// the header is absent.
    /// </summary>
    public bool TryGetHeader(string name, out StringValues value)
    {
        if (name.Length > 0 && name[0] == ':')
        {
            value = name switch
            {
                ":method" => Request.Method,
                ":authority" => Authority,
                ":scheme" => Request.Scheme,
                ":path" => Request.Path.Value + Request.QueryString.Value,
                _ => StringValues.Empty,
            };
            return !StringValues.IsNullOrEmpty(value);
        }

        return Http.RequestIds.TryGetHeader(Request, _state, name, out value);
    }
}
