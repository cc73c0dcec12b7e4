using System.Collections.Frozen;
using Sidecar.Model;
using Sidecar.Proxy.Routing;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy;

/// <summary>
/// A <see cref="ProxyConfig"/> compiled for the hot path: route tables with their matchers, clusters resolved to
/// live state, and the lookups listeners need. Built once per push; requests read one and finish on it.
/// </summary>
internal sealed class DataPlaneSnapshot
{
    private readonly FrozenDictionary<string, RouteTable>.AlternateLookup<ReadOnlySpan<char>> _tablesBySpan;
    private readonly FrozenDictionary<string, RouteTable> _outboundByHost;

    public DataPlaneSnapshot(ProxyConfig config, FrozenDictionary<string, ClusterState> clusters, Security.Jwt.JwksCache jwks, Microsoft.Extensions.Logging.ILogger logger)
    {
        Config = config;
        Clusters = clusters;
        Authorization = config.AuthorizationPolicies.IsEmpty ? Security.Authorization.AuthorizationEngine.Empty : new Security.Authorization.AuthorizationEngine(config.AuthorizationPolicies);
        Jwt = config.JwtRules.IsEmpty ? null : new Security.Jwt.JwtAuthenticator(config.JwtRules, jwks);
        ExtAuthz = config.ExtAuthz is { } extAuthz ? Security.Authorization.ExtAuthzClient.Create(extAuthz, logger) : null;
        ClusterState? Lookup(string name) => clusters.GetValueOrDefault(name);

        RouteTables = config.RouteTables.ToFrozenDictionary(t => t.Name, t => new RouteTable(t, Lookup), StringComparer.Ordinal);
        _tablesBySpan = RouteTables.GetAlternateLookup<ReadOnlySpan<char>>();

        // Explicit-proxy requests may name a service without its port: index outbound tables by bare host name.
        var byHost = new Dictionary<string, RouteTable>(StringComparer.OrdinalIgnoreCase);
        foreach (var table in RouteTables.Values.Where(t => int.TryParse(t.Name, out _)).OrderBy(t => int.Parse(t.Name, System.Globalization.CultureInfo.InvariantCulture)))
        {
            foreach (var host in table.VirtualHosts)
            {
                foreach (var domain in host.Config.Domains)
                {
                    if (!domain.Contains('*') && !domain.Contains(':'))
                    {
                        byHost.TryAdd(domain, table);
                    }
                }
            }
        }

        _outboundByHost = byHost.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        FallbackOutboundTable = new RouteTable(FallbackTableConfig(config.Mesh.OutboundTrafficPolicy, CatchAllCluster(config)), Lookup);

        foreach (var listener in config.Listeners)
        {
            if (listener.Name == ListenerNames.VirtualOutbound)
            {
                VirtualOutbound = listener;
            }
            else if (listener.Name == ListenerNames.VirtualInbound)
            {
                VirtualInbound = listener;
            }
        }

        BoundListeners = config.Listeners.Where(l => l.BindToPort).ToArray();
        _outboundByPort = config.Listeners
            .Where(l => !l.BindToPort && l.Direction == TrafficDirection.Outbound && l.Name != ListenerNames.VirtualOutbound)
            .GroupBy(l => l.Port)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray());
    }

    private readonly FrozenDictionary<int, ListenerConfig[]> _outboundByPort;

    /// <summary>
    /// The per-port outbound listener a captured connection is handed to (Envoy's original-destination hand-off from
    /// virtualOutbound): the listener for the exact address and port (TCP services by VIP), else the one for
    /// <c>0.0.0.0</c> and the port; null when the port is unknown (virtualOutbound's own chains then apply).
    /// </summary>
    public ListenerConfig? FindOutboundListener(System.Net.IPEndPoint destination)
    {
        if (!_outboundByPort.TryGetValue(destination.Port, out var listeners))
        {
            return null;
        }

        var address = destination.Address.IsIPv4MappedToIPv6 ? destination.Address.MapToIPv4().ToString() : destination.Address.ToString();
        ListenerConfig? wildcard = null;
        foreach (var listener in listeners)
        {
            if (listener.Address == address)
            {
                return listener;
            }

            if (listener.Address is "0.0.0.0" or "::")
            {
                wildcard ??= listener;
            }
        }

        return wildcard;
    }

    public ProxyConfig Config { get; }

    /// <summary>The workload's RequestAuthentication JWT check for inbound requests; null when none applies.</summary>
    public Security.Jwt.JwtAuthenticator? Jwt { get; }

    /// <summary>The workload's AuthorizationPolicies, compiled for the inbound path.</summary>
    public Security.Authorization.AuthorizationEngine Authorization { get; }

    /// <summary>The external authorization service AuthorizationPolicy CUSTOM checks with; null without one.</summary>
    public Security.Authorization.ExtAuthzClient? ExtAuthz { get; }

    public FrozenDictionary<string, RouteTable> RouteTables { get; }

    public FrozenDictionary<string, ClusterState> Clusters { get; }

    public ListenerConfig? VirtualOutbound { get; }

    public ListenerConfig? VirtualInbound { get; }

    /// <summary>Listeners the sidecar binds itself (Sidecar resource ingress/egress with a port).</summary>
    public ListenerConfig[] BoundListeners { get; }

    /// <summary>The bound listener named <paramref name="name"/>; null when the config has none.</summary>
    public ListenerConfig? FindBoundListener(string name)
    {
        foreach (var listener in BoundListeners)
        {
            if (listener.Name == name)
            {
                return listener;
            }
        }

        return null;
    }

    /// <summary>
    /// What an outbound request for an unknown host meets: ALLOW_ANY passes it through to where it was going
    /// (PassthroughCluster, or the Sidecar's egressProxy); REGISTRY_ONLY refuses it (Istio's <c>block_all</c>: 502).
    /// </summary>
    public RouteTable FallbackOutboundTable { get; }

    /// <summary>
    /// The route table for a request sent to the outbound listener explicitly (Host routing or HTTP proxy form):
    /// the table of the authority's port when it knows the host, else the table of any port that knows the bare
    /// host, else the table of the port (its catch-all), else the fallback.
    /// </summary>
    public RouteTable OutboundTableFor(string authority) => OutboundTableFor(authority, out _);

    /// <inheritdoc cref="OutboundTableFor(string)"/>
    /// <param name="authority">The request's authority (Host header, with port if the client sent one).</param>
    /// <param name="host">The virtual host the authority matched while its table was chosen, so the router does not
    /// look the domain up again; null when the router still has to match it (bare-host and fallback tables).</param>
    public RouteTable OutboundTableFor(string authority, out VirtualHost? host)
    {
        var span = authority.AsSpan();
        var colon = Http.AuthorityPort.SeparatorOf(span);
        var hasPort = colon > 0;
        RouteTable? portTable = null;
        if (hasPort)
        {
            if (_tablesBySpan.TryGetValue(span[(colon + 1)..], out portTable) && portTable.FindDomain(authority) is { } named)
            {
                host = named;
                return portTable;
            }
        }
        else if (RouteTables.TryGetValue("80", out var http) && http.FindDomain(authority) is { } named)
        {
            host = named;
            return http;
        }

        host = null;

        var bareHost = hasPort ? span[..colon] : span;
        if (_outboundByHost.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(bareHost, out var byHost))
        {
            return byHost;
        }

        return portTable ?? FallbackOutboundTable;
    }

    public RouteTable? FindRouteTable(string name) => RouteTables.GetValueOrDefault(name);

    /// <summary>Where the config sends unknown traffic: the outbound capture listener's default chain (PassthroughCluster, or a Sidecar's egressProxy).</summary>
    private static string CatchAllCluster(ProxyConfig config) =>
        config.Listeners.FirstOrDefault(l => l.Name == ListenerNames.VirtualOutbound)?.DefaultFilterChain?.Tcp?.Clusters is [var first, ..]
            ? first.Cluster
            : ClusterName.Passthrough;

    private static RouteTableConfig FallbackTableConfig(OutboundTrafficPolicy policy, string catchAll) => new()
    {
        Name = policy == OutboundTrafficPolicy.AllowAny ? "allow_any" : "block_all",
        VirtualHosts =
        [
            policy == OutboundTrafficPolicy.AllowAny
                ? new VirtualHostConfig
                {
                    Name = "allow_any",
                    Domains = ["*"],
                    Routes = [new RouteConfig { Name = "allow_any", Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = catchAll }] } }],
                }
                : new VirtualHostConfig
                {
                    Name = "block_all",
                    Domains = ["*"],
                    Routes = [new RouteConfig { Name = "block_all", DirectResponse = new DirectResponseConfig(502) }],
                },
        ],
    };
}
