using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>Istio's <c>TranslateRouteMatch</c>: an <c>http[].match[]</c> entry to an Envoy route match.</summary>
internal static class RouteMatchTranslator
{
    /// <param name="gatewaySemantics">A route converted from Gateway API: a prefix other than <c>/</c> matches whole path
    /// segments (Envoy's <c>path_separated_prefix</c>, the trailing <c>/</c> trimmed).</param>
    public static RouteMatchConfig Translate(HttpMatchRequest? match, bool gatewaySemantics = false)
    {
        if (match is null)
        {
            return RouteMatchConfig.Any;
        }

        var headers = new List<HeaderMatcherConfig>();
        foreach (var (name, value) in match.Headers)
        {
            headers.Add(Header(name, value, invert: false));
        }

        foreach (var (name, value) in match.WithoutHeaders)
        {
            headers.Add(Header(name, value, invert: true));
        }

        // Istio sorts header matchers by name so that the output is stable; request-line matchers follow.
        headers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        if (match.Method is { } method)
        {
            headers.Add(Header(":method", method, invert: false));
        }

        if (match.Authority is { } authority)
        {
            headers.Add(Header(":authority", authority, invert: false));
        }

        if (match.Scheme is { } scheme)
        {
            headers.Add(Header(":scheme", scheme, invert: false));
        }

        var query = new List<QueryParameterMatcherConfig>();
        foreach (var (name, value) in match.QueryParams)
        {
            query.Add(new QueryParameterMatcherConfig { Name = name, Match = IsPresenceMatch(value) ? null : ToMatcher(value) });
        }

        return new RouteMatchConfig
        {
            Path = Path(match.Uri, match.IgnoreUriCase, gatewaySemantics),
            Headers = headers.ToEquatableArray(),
            QueryParameters = query.ToEquatableArray(),
        };
    }

    /// <summary>Istio's <c>IsCatchAllRoute</c>: prefix <c>/</c> (or regex <c>.*</c>) and no header or query conditions.</summary>
    public static bool IsCatchAll(RouteMatchConfig match) =>
        match.Headers.IsEmpty && match.QueryParameters.IsEmpty &&
        match.Path is { Kind: PathMatchKind.Prefix, Value: "/" } or { Kind: PathMatchKind.Regex, Value: ".*" };

    private static PathMatchConfig Path(StringMatch? uri, bool ignoreCase, bool gatewaySemantics)
    {
        if (gatewaySemantics && uri is { Prefix: { } segments } && segments != "/")
        {
            return new PathMatchConfig(PathMatchKind.PathSeparatedPrefix, segments.TrimEnd('/'), ignoreCase);
        }

        // Envoy's case_sensitive applies to prefix and path matches, not to safe_regex.
        return uri switch
        {
            { Exact: { } exact } => new PathMatchConfig(PathMatchKind.Exact, exact, ignoreCase),
            { Prefix: { } prefix } => new PathMatchConfig(PathMatchKind.Prefix, prefix, ignoreCase),
            { Regex: { } regex } => new PathMatchConfig(PathMatchKind.Regex, regex),
            _ => ignoreCase ? PathMatchConfig.Any with { IgnoreCase = true } : PathMatchConfig.Any,
        };
    }

    /// <summary>Istio's <c>translateHeaderMatch</c>: <c>{}</c> or regex <c>*</c> is a presence check.</summary>
    private static HeaderMatcherConfig Header(string name, StringMatch value, bool invert) => new()
    {
        // Envoy compares header names case-insensitively; keep them in HTTP/2's lower case.
        Name = name.ToLowerInvariant(),
        Match = IsPresenceMatch(value) ? null : ToMatcher(value),
        PresentMatch = true,
        InvertMatch = invert,
    };

    private static bool IsPresenceMatch(StringMatch value) => value.IsEmpty || value.Regex == "*";

    public static StringMatcherConfig? ToMatcher(StringMatch value) => value switch
    {
        { Exact: { } exact } => new StringMatcherConfig(StringMatchKind.Exact, exact),
        { Prefix: { } prefix } => new StringMatcherConfig(StringMatchKind.Prefix, prefix),
        { Regex: { } regex } => new StringMatcherConfig(StringMatchKind.Regex, regex),
        _ => null,
    };
}
