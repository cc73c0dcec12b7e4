namespace Sidecar.Istio.Naming;

/// <summary>
/// Istio's localities, <c>region/zone/subzone</c>, and the patterns locality load balancing writes over them
/// (<c>us-west/zone1/*</c>, <c>us-west/*</c>, <c>*</c>).
/// </summary>
internal static class LocalityPattern
{
    /// <summary>Splits a locality into region, zone and subzone; missing parts are empty.</summary>
    public static (string Region, string Zone, string Subzone) Split(string? locality)
    {
        var parts = (locality ?? "").Split('/', 3);
        return (parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : "");
    }

    /// <summary>Istio's <c>LocalityMatch</c>: <c>*</c> matches any part, and a pattern without zone or subzone matches any.</summary>
    public static bool Matches(string? locality, string pattern)
    {
        var (region, zone, subzone) = Split(locality);
        var (ruleRegion, ruleZone, ruleSubzone) = Split(pattern);
        return (ruleRegion == "*" || ruleRegion == region)
            && (ruleZone is "*" or "" || ruleZone == zone)
            && (ruleSubzone is "*" or "" || ruleSubzone == subzone);
    }

    /// <summary>Whether a wildcard pattern (<c>us-west/*</c>) covers another locality or pattern.</summary>
    public static bool Covers(string pattern, string other) =>
        pattern.EndsWith('*') && other.StartsWith(pattern[..^1], StringComparison.Ordinal);

    /// <summary>
    /// Istio's <c>LbPriority</c>: 0 when region, zone and subzone all match the proxy's, 1 for region and zone, 2 for
    /// the region only, 3 otherwise.
    /// </summary>
    public static int Priority(string? proxy, string? endpoint)
    {
        var (region, zone, subzone) = Split(proxy);
        var (endpointRegion, endpointZone, endpointSubzone) = Split(endpoint);
        if (region != endpointRegion)
        {
            return 3;
        }

        if (zone != endpointZone)
        {
            return 2;
        }

        return subzone == endpointSubzone ? 0 : 1;
    }
}
