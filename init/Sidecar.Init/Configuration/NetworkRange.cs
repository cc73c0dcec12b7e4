namespace Sidecar.Init.Configuration;

/// <summary>
/// One address family's share of a CIDR list flag (-i, -x): either the wildcard or the prefixes of that family.
/// istio-iptables splits every such list into an IPv4 and an IPv6 range (config.SeparateV4V6).
/// </summary>
internal sealed class NetworkRange
{
    public static readonly NetworkRange Empty = new(false, []);

    public static readonly NetworkRange Wildcard = new(true, []);

    private NetworkRange(bool isWildcard, IReadOnlyList<IpPrefix> prefixes)
    {
        IsWildcard = isWildcard;
        Prefixes = prefixes;
        foreach (var prefix in prefixes)
        {
            HasLoopback |= prefix.IsLoopback;
        }
    }

    public bool IsWildcard { get; }

    public IReadOnlyList<IpPrefix> Prefixes { get; }

    /// <summary>True when a prefix's address is a loopback address; Istio then stops returning app-to-self loopback traffic.</summary>
    public bool HasLoopback { get; }

    public static NetworkRange Of(IReadOnlyList<IpPrefix> prefixes) => prefixes.Count == 0 ? Empty : new(false, prefixes);
}
