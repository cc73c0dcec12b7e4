using Microsoft.AspNetCore.Http;
using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A compiled route CORS policy: Envoy's <c>envoy.filters.http.cors</c>, which Istio places after the fault filter.
/// A request with an <c>Origin</c> the policy allows is a CORS request: its response gets
/// <c>access-control-allow-origin</c> (and credentials, exposed headers). A preflight (<c>OPTIONS</c> with
/// <c>Origin</c> and <c>Access-Control-Request-Method</c>) is answered here with 200 unless its origin is not allowed
/// and unmatched preflights are forwarded (Istio's <c>unmatchedPreflights: FORWARD</c>, the default).
/// </summary>
internal sealed class CorsPolicy
{
    private readonly StringMatcher[] _origins;

    public CorsPolicy(CorsPolicyConfig config)
    {
        Config = config;
        _origins = config.AllowOrigins.Select(o => new StringMatcher(o)).ToArray();
    }

    public CorsPolicyConfig Config { get; }

    /// <summary>Envoy's <c>isOriginAllowed</c>: a matcher that accepts <c>*</c> (e.g. <c>exact: "*"</c>) allows every origin.</summary>
    public bool IsOriginAllowed(ReadOnlySpan<char> origin)
    {
        foreach (var matcher in _origins)
        {
            if (matcher.IsMatch("*") || matcher.IsMatch(origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The request half of the filter (Envoy's <c>decodeHeaders</c>). Returns the origin to echo on the response
    /// (null when the request has no allowed origin) and whether the request is a preflight to answer here.
    /// </summary>
    public (string? AllowedOrigin, bool AnswerPreflight) Evaluate(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return (null, false);
        }

        var allowed = IsOriginAllowed(origin);
        var isPreflight = HttpMethods.IsOptions(request.Method) && request.Headers.AccessControlRequestMethod.ToString().Length > 0;
        var answer = isPreflight && (allowed || !Config.ForwardNotMatchingPreflights);
        return (allowed ? origin : null, answer);
    }

    /// <summary>Envoy's preflight reply headers (the status, server header and length are the caller's).</summary>
    public void WritePreflightHeaders(HttpRequest request, string? allowedOrigin, IHeaderDictionary headers)
    {
        if (allowedOrigin is not null)
        {
            headers.AccessControlAllowOrigin = allowedOrigin;
        }

        if (Config.AllowCredentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        if (Config.AllowMethods.Length > 0)
        {
            headers.AccessControlAllowMethods = Config.AllowMethods == "*" ? request.Headers.AccessControlRequestMethod : Config.AllowMethods;
        }

        if (Config.AllowHeaders.Length > 0)
        {
            headers.AccessControlAllowHeaders = Config.AllowHeaders == "*" ? request.Headers.AccessControlRequestHeaders : Config.AllowHeaders;
        }

        if (Config.MaxAge.Length > 0)
        {
            headers.AccessControlMaxAge = Config.MaxAge;
        }
    }

    /// <summary>The response half (Envoy's <c>encodeHeaders</c>) for a request whose origin was allowed.</summary>
    public void WriteResponseHeaders(string allowedOrigin, IHeaderDictionary headers)
    {
        headers.AccessControlAllowOrigin = allowedOrigin;
        if (Config.AllowCredentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        if (Config.ExposeHeaders.Length > 0)
        {
            headers.AccessControlExposeHeaders = Config.ExposeHeaders;
        }
    }
}
