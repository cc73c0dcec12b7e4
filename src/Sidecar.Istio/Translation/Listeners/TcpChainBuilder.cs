using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Clusters;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Istio.Translation.Routes;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Listeners;

/// <summary>
/// The TCP and TLS filter chains of an outbound listener (Istio's <c>buildSidecarOutboundTCPTLSFilterChainOpts</c>):
/// VirtualService <c>tcp</c> routes by destination subnet and port, <c>tls</c> routes by SNI, and otherwise a chain to
/// the service's own cluster.
/// </summary>
internal sealed class TcpChainBuilder(PushContext push)
{
    /// <summary>TCP chains for <paramref name="service"/> on <paramref name="port"/>; the last one matches every
    /// connection the listener gets (within <paramref name="prefixRanges"/>).</summary>
    public List<FilterChainConfig> TcpChains(MeshService service, int port, IReadOnlyList<string> prefixRanges, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        var chains = new List<FilterChainConfig>();
        foreach (var vs in ForHost(virtualServices, service.Host))
        {
            foreach (var route in vs.Spec.Tcp)
            {
                if (route.Match.Count == 0)
                {
                    chains.Add(Chain("tcp", prefixRanges, route.Route, vs, port));
                    return chains;
                }

                foreach (var match in route.Match)
                {
                    if (!HttpRouteTranslator.SourceMatches(match.Gateways, match.SourceLabels, match.SourceNamespace, push.Workload) ||
                        (match.Port is { } matchPort && matchPort != 0 && matchPort != port))
                    {
                        continue;
                    }

                    if (match.DestinationSubnets.Count == 0)
                    {
                        chains.Add(Chain("tcp", prefixRanges, route.Route, vs, port));
                        return chains;
                    }

                    chains.Add(Chain("tcp", match.DestinationSubnets, route.Route, vs, port));
                }
            }
        }

        var cluster = ClusterName.Outbound(port, null, service.Host);
        chains.Add(TcpChain($"tcp:{cluster}", new FilterChainMatchConfig { PrefixRanges = prefixRanges.ToEquatableArray() },
            [new WeightedClusterConfig { Cluster = cluster }], Destination(service.Host, service.Namespace, port, null)));
        return chains;
    }

    /// <summary>TLS chains for <paramref name="service"/>: one per VirtualService <c>tls</c> match (by SNI), else one to
    /// the service's cluster, matched by the service's host as SNI when the listener is not bound to its VIP.</summary>
    public List<FilterChainConfig> TlsChains(MeshService service, int port, bool wildcardListener, IReadOnlyList<string> prefixRanges, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        var chains = new List<FilterChainConfig>();
        var handled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var vs in ForHost(virtualServices, service.Host))
        {
            foreach (var route in vs.Spec.Tls)
            {
                foreach (var match in route.Match)
                {
                    if (!HttpRouteTranslator.SourceMatches(match.Gateways, match.SourceLabels, match.SourceNamespace, push.Workload) ||
                        (match.Port is { } matchPort && matchPort != 0 && matchPort != port))
                    {
                        continue;
                    }

                    var sni = match.SniHosts.Select(h => h.ToLowerInvariant()).ToArray();
                    var ranges = match.DestinationSubnets.Count > 0 ? match.DestinationSubnets : prefixRanges;
                    if (!handled.Add(string.Join(',', sni) + "|" + string.Join(',', ranges)))
                    {
                        continue;
                    }

                    var chain = Chain($"tls:{string.Join(',', sni)}", ranges, route.Route, vs, port);
                    chains.Add(chain with { Match = chain.Match with { ServerNames = sni.ToEquatableArray(), TransportProtocol = "tls" } });
                }
            }
        }

        if (chains.Count == 0)
        {
            var cluster = ClusterName.Outbound(port, null, service.Host);
            var match = wildcardListener
                ? new FilterChainMatchConfig { ServerNames = [service.Host], TransportProtocol = "tls", PrefixRanges = prefixRanges.ToEquatableArray() }
                : new FilterChainMatchConfig { PrefixRanges = prefixRanges.ToEquatableArray() };
            chains.Add(TcpChain($"tls:{service.Host}", match, [new WeightedClusterConfig { Cluster = cluster }], Destination(service.Host, service.Namespace, port, null)));
        }

        return chains;
    }

    private static IEnumerable<VirtualServiceEntry> ForHost(IReadOnlyList<VirtualServiceEntry> virtualServices, string host) =>
        virtualServices.Where(vs => vs.Hosts.Any(h => HostNames.Matches(host, h)));

    private FilterChainConfig Chain(string name, IReadOnlyList<string> prefixRanges, IReadOnlyList<RouteDestination> destinations, VirtualServiceEntry vs, int port)
    {
        var clusters = new List<WeightedClusterConfig>();
        DestinationSettings settings = default;
        foreach (var destination in destinations)
        {
            if (destinations.Count > 1 && destination.Weight == 0)
            {
                continue;
            }

            var host = vs.ResolveHost(destination.Destination!.Host);
            var service = push.FindService(host);
            var targetPort = destination.Destination.Port is > 0 and var p ? p : service is { Ports.Count: 1 } ? service.Ports[0].Number : port;
            var subset = string.IsNullOrEmpty(destination.Destination.Subset) ? null : destination.Destination.Subset;
            clusters.Add(new WeightedClusterConfig { Cluster = ClusterName.Outbound(targetPort, subset, host), Weight = destinations.Count == 1 ? 100 : destination.Weight });
            if (destinations.Count == 1 && service is not null)
            {
                settings = Destination(host, service.Namespace, targetPort, subset);
            }
        }

        var clusterName = clusters.Count == 1 ? clusters[0].Cluster : string.Join(",", clusters.Select(c => c.Cluster));
        return TcpChain($"{name}:{clusterName}", new FilterChainMatchConfig { PrefixRanges = prefixRanges.ToEquatableArray() }, clusters, settings);
    }

    private static FilterChainConfig TcpChain(string name, FilterChainMatchConfig match, IReadOnlyList<WeightedClusterConfig> clusters, DestinationSettings settings)
    {
        var proxy = new TcpProxyConfig { StatPrefix = clusters.Count == 1 ? clusters[0].Cluster : "weighted", Clusters = clusters.ToEquatableArray(), Tunneling = settings.Tunneling };
        return new FilterChainConfig { Name = name, Match = match, Tcp = settings.IdleTimeout is { } idle ? proxy with { IdleTimeout = idle } : proxy };
    }

    /// <summary>
    /// What a single destination's DestinationRule sets on its tcp_proxy: <c>connectionPool.tcp.idleTimeout</c> (0s
    /// disables it, as in Envoy) and, as istiod's <c>tunnelingconfig.Apply</c>, the <c>tunnel</c> of the subset the
    /// route names (its own, not the rule's), else the rule's.
    /// </summary>
    private DestinationSettings Destination(string host, string ns, int port, string? subset)
    {
        var rule = push.DestinationRules.Find(host, ns);
        if (rule is null)
        {
            return default;
        }

        var policy = EffectiveTrafficPolicy.ForPort(rule.TrafficPolicy, port);
        var tunnel = rule.TrafficPolicy?.Tunnel;
        if (subset is not null)
        {
            var found = rule.FindSubset(subset);
            tunnel = found?.TrafficPolicy?.Tunnel;
            if (found is not null)
            {
                policy = policy.Merge(found.TrafficPolicy, port);
            }
        }

        var tunneling = tunnel is null
            ? null
            : new TcpTunnelingConfig(JoinHostPort(tunnel.TargetHost, tunnel.TargetPort), UsePost: tunnel.Protocol == "POST");
        if (tunneling is not null && policy.ConnectionPool?.Http?.H2UpgradePolicy == "UPGRADE")
        {
            push.Warn(rule.Sources[0], $"the tunnel to {host} is carried over HTTP/1.1 (Envoy would use HTTP/2 on this upgraded cluster)");
        }

        return new DestinationSettings(policy.ConnectionPool?.Tcp?.IdleTimeout?.ToTimeSpan(), tunneling);
    }

    /// <summary>Go's <c>net.JoinHostPort</c>, as istiod writes the tunnel's hostname: an IPv6 address in brackets.</summary>
    private static string JoinHostPort(string host, uint port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>What <see cref="Destination"/> found; both null without a DestinationRule.</summary>
    private readonly record struct DestinationSettings(TimeSpan? IdleTimeout, TcpTunnelingConfig? Tunneling);
}
