namespace Sidecar.Init.Configuration;

/// <summary>A parsed -i / -x value: the wildcard, or prefixes split by address family.</summary>
internal sealed record CidrList(NetworkRange IPv4, NetworkRange IPv6)
{
    public static readonly CidrList Empty = new(NetworkRange.Empty, NetworkRange.Empty);

    public static readonly CidrList All = new(NetworkRange.Wildcard, NetworkRange.Wildcard);

    public bool IsWildcard => IPv4.IsWildcard;

    /// <summary>Parses "*" or a comma separated list of CIDRs; <paramref name="error"/> names the first bad entry.</summary>
    public static bool TryParse(string text, out CidrList list, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        list = Empty;
        if (text == "*")
        {
            list = All;
            return true;
        }
        var v4 = new List<IpPrefix>();
        var v6 = new List<IpPrefix>();
        foreach (var entry in ListText.Split(text))
        {
            if (!IpPrefix.TryParse(entry, out var prefix))
            {
                error = $"\"{entry}\" is not a CIDR (address/length)";
                return false;
            }
            (prefix.IsIPv4 ? v4 : v6).Add(prefix);
        }
        list = new CidrList(NetworkRange.Of(v4), NetworkRange.Of(v6));
        return true;
    }
}
