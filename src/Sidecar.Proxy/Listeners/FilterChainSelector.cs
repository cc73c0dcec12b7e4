using System.Net;
using Sidecar.Model;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Envoy's filter chain matching: criteria are applied in order (destination port, destination IP, server name,
/// transport protocol, application protocols); at each step chains that name the criterion and match it beat chains
/// that leave it open, and chains that name it but do not match drop out. No chain left: the default chain.
/// </summary>
internal static class FilterChainSelector
{
    public static FilterChainConfig? Select(ListenerConfig listener, IPEndPoint? destination, SniffResult? sniff)
    {
        IEnumerable<FilterChainConfig> candidates = listener.FilterChains;
        candidates = Narrow(candidates, m => m.DestinationPort is not null, m => m.DestinationPort == destination?.Port);
        candidates = NarrowByPrefix(candidates, destination?.Address);
        var serverName = sniff?.ClientHello?.ServerName;
        candidates = NarrowByServerName(candidates, serverName);
        var transport = sniff is { Protocol: SniffedProtocol.Tls } ? "tls" : "raw_buffer";
        candidates = Narrow(candidates, m => m.TransportProtocol is not null, m => m.TransportProtocol == transport);
        var alpn = sniff?.ApplicationProtocols ?? [];
        candidates = Narrow(candidates, m => !m.ApplicationProtocols.IsEmpty, m => m.ApplicationProtocols.Any(alpn.Contains));
        return candidates.FirstOrDefault() ?? listener.DefaultFilterChain;
    }

    /// <summary>Whether choosing among the listener's chains (for this destination) needs the connection's first bytes.</summary>
    public static bool NeedsSniffing(ListenerConfig listener, IPEndPoint? destination)
    {
        IEnumerable<FilterChainConfig> candidates = listener.FilterChains;
        candidates = Narrow(candidates, m => m.DestinationPort is not null, m => m.DestinationPort == destination?.Port);
        candidates = NarrowByPrefix(candidates, destination?.Address);
        var list = candidates.ToList();
        if (list.Count == 0)
        {
            return listener.DefaultFilterChain?.Http is not null;
        }

        // HTTP chains need the HTTP version; chains told apart by SNI, transport or ALPN need the first bytes.
        return list.Any(c => c.Http is not null || c.Match.TransportProtocol is not null || !c.Match.ServerNames.IsEmpty || !c.Match.ApplicationProtocols.IsEmpty);
    }

    private static IEnumerable<FilterChainConfig> Narrow(IEnumerable<FilterChainConfig> chains, Func<FilterChainMatchConfig, bool> specifies, Func<FilterChainMatchConfig, bool> matches)
    {
        var list = chains as IReadOnlyCollection<FilterChainConfig> ?? chains.ToList();
        var specific = list.Where(c => specifies(c.Match) && matches(c.Match)).ToList();
        return specific.Count > 0 ? specific : list.Where(c => !specifies(c.Match)).ToList();
    }

    private static IEnumerable<FilterChainConfig> NarrowByPrefix(IEnumerable<FilterChainConfig> chains, IPAddress? address)
    {
        var list = chains.ToList();
        if (address is null)
        {
            return list.Where(c => c.Match.PrefixRanges.IsEmpty).ToList();
        }

        var best = -1;
        var winners = new List<FilterChainConfig>();
        foreach (var chain in list)
        {
            foreach (var range in chain.Match.PrefixRanges)
            {
                if (Cidr.TryParse(range, out var cidr) && cidr.Contains(address))
                {
                    if (cidr.PrefixLength > best)
                    {
                        best = cidr.PrefixLength;
                        winners.Clear();
                    }

                    if (cidr.PrefixLength == best && !winners.Contains(chain))
                    {
                        winners.Add(chain);
                    }
                }
            }
        }

        return winners.Count > 0 ? winners : list.Where(c => c.Match.PrefixRanges.IsEmpty).ToList();
    }

    private static IEnumerable<FilterChainConfig> NarrowByServerName(IEnumerable<FilterChainConfig> chains, string? serverName)
    {
        var list = chains.ToList();
        if (serverName is not null)
        {
            var exact = list.Where(c => c.Match.ServerNames.AsSpan().Contains(serverName)).ToList();
            if (exact.Count > 0)
            {
                return exact;
            }

            // Wildcards *.example.com: the longest matching suffix wins.
            var wildcard = list
                .Select(c => (Chain: c, Length: c.Match.ServerNames.Where(n => n.StartsWith("*.", StringComparison.Ordinal) && serverName.EndsWith(n[1..], StringComparison.OrdinalIgnoreCase)).Select(n => n.Length).DefaultIfEmpty(-1).Max()))
                .Where(x => x.Length > 0)
                .ToList();
            if (wildcard.Count > 0)
            {
                var longest = wildcard.Max(x => x.Length);
                return wildcard.Where(x => x.Length == longest).Select(x => x.Chain).ToList();
            }
        }

        return list.Where(c => c.Match.ServerNames.IsEmpty).ToList();
    }
}
