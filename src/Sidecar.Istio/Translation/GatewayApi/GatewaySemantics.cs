using System.Text;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Translation.GatewayApi;

/// <summary>
/// What differs for a VirtualService converted from a Gateway API route (istiod's <c>UseGatewaySemantics</c>): route
/// precedence, the redirect prefix marker, and the host of a backend istiod cannot name.
/// </summary>
internal static class GatewaySemantics
{
    /// <summary>istiod's marker in a converted redirect <c>uri</c>: the rest replaces the matched prefix.</summary>
    public const string PrefixRedirectMarker = "%PREFIX()%";

    /// <summary>A destination no cluster serves (istiod's <c>UnknownService</c>): the route answers 500.</summary>
    public const string UnknownServiceHost = "unknownservice.invalid";

    /// <summary>Gateway API precedence, as istiod's <c>sortHTTPRoutes</c> compares the first match: exact paths,
    /// then prefixes, then regexes (longer first within each), then a method, more headers, more query parameters;
    /// a route without a match last.</summary>
    public static IComparer<HttpRoute> Precedence { get; } = Comparer<HttpRoute>.Create(Compare);

    /// <summary>RE2's (Go's <c>regexp.QuoteMeta</c>) escaping of a literal.</summary>
    public static string QuoteMeta(string literal)
    {
        var escaped = new StringBuilder(literal.Length + 8);
        foreach (var c in literal)
        {
            if (@"\.+*?()|[]{}^$".Contains(c, StringComparison.Ordinal))
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    private static int Compare(HttpRoute? a, HttpRoute? b)
    {
        var ma = a?.Match.Count > 0 ? a.Match[0] : null;
        var mb = b?.Match.Count > 0 ? b.Match[0] : null;
        if (ma is null || mb is null)
        {
            return (ma is null ? 1 : 0) - (mb is null ? 1 : 0);
        }

        // Higher rank, longer value, a method, more headers, more query parameters: earlier.
        var byRank = UriRank(mb.Uri).CompareTo(UriRank(ma.Uri));
        if (byRank != 0)
        {
            return byRank;
        }

        var byLength = UriLength(mb.Uri).CompareTo(UriLength(ma.Uri));
        if (byLength != 0)
        {
            return byLength;
        }

        var byMethod = (mb.Method is null ? 0 : 1).CompareTo(ma.Method is null ? 0 : 1);
        if (byMethod != 0)
        {
            return byMethod;
        }

        var byHeaders = mb.Headers.Count.CompareTo(ma.Headers.Count);
        return byHeaders != 0 ? byHeaders : mb.QueryParams.Count.CompareTo(ma.QueryParams.Count);
    }

    private static int UriRank(StringMatch? uri) => uri switch
    {
        { Exact: not null } => 3,
        { Prefix: not null } => 2,
        { Regex: not null } => 1,
        _ => -1,
    };

    private static int UriLength(StringMatch? uri) => (uri?.Exact ?? uri?.Prefix ?? uri?.Regex)?.Length ?? 0;
}
