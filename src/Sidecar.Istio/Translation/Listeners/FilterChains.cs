using System.Globalization;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Listeners;

/// <summary>The filter chains istiod builds over and over: HTTP connection managers, TCP proxies and passthroughs.</summary>
internal static class FilterChains
{
    /// <summary>What Envoy's HTTP inspector reports for plaintext HTTP/1.1 and h2c: the match of an auto-detected HTTP chain.</summary>
    public static readonly FilterChainMatchConfig SniffedHttp = new()
    {
        TransportProtocol = "raw_buffer",
        ApplicationProtocols = ["http/1.1", "h2c"],
    };

    /// <param name="grpcWeb">The port is a <c>grpc-web</c> one: istiod adds Envoy's <c>grpc_web</c> filter.</param>
    public static FilterChainConfig Http(string name, string routeTable, string statPrefix, FilterChainMatchConfig match, bool inbound = false, bool grpcWeb = false) => new()
    {
        Name = name,
        Match = match,
        Http = new HttpConnectionManagerConfig { RouteTableName = routeTable, StatPrefix = statPrefix, ForwardClientCertDetails = inbound, GrpcWeb = grpcWeb },
    };

    /// <summary>Where Envoy's chain match would find nothing: the connection is closed, NR <c>filter_chain_not_found</c>.</summary>
    public static FilterChainConfig NotFound(string name, FilterChainMatchConfig match) => new() { Name = name, Match = match, NotFound = true };

    public static FilterChainConfig Tcp(string name, string cluster, FilterChainMatchConfig match) => new()
    {
        Name = name,
        Match = match,
        Tcp = new TcpProxyConfig { StatPrefix = cluster, Clusters = [new WeightedClusterConfig { Cluster = cluster }] },
    };

    /// <summary>
    /// The TCP chains of an auto-detected port, each also as a plaintext variant: Istio's matcher sends what is not
    /// HTTP to the TCP chain (<c>NewAppProtocol</c>'s on_no_match), but under Envoy's chain matching the HTTP chain's
    /// <c>raw_buffer</c> would outrank a chain that leaves the transport open, and plaintext that is not HTTP would
    /// fall to the default chain. The variant takes that plaintext; the original still takes TLS.
    /// </summary>
    public static IEnumerable<FilterChainConfig> ForSniffedPort(IEnumerable<FilterChainConfig> tcpChains)
    {
        foreach (var chain in tcpChains)
        {
            yield return chain;
            if (chain.Match.TransportProtocol is null && chain.Match.ApplicationProtocols.IsEmpty)
            {
                yield return chain with { Name = chain.Name + "|raw_buffer", Match = chain.Match with { TransportProtocol = SniffedHttp.TransportProtocol } };
            }
        }
    }

    public static string StatPrefix(string direction, string address, int port) =>
        $"{direction}_{address}_{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Names must be unique within a listener; later duplicates get a numeric suffix.</summary>
    public static List<FilterChainConfig> WithUniqueNames(List<FilterChainConfig> chains)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < chains.Count; i++)
        {
            var name = chains[i].Name;
            for (var n = 2; !seen.Add(name); n++)
            {
                name = $"{chains[i].Name}#{n.ToString(CultureInfo.InvariantCulture)}";
            }

            if (name != chains[i].Name)
            {
                chains[i] = chains[i] with { Name = name };
            }
        }

        return chains;
    }
}
