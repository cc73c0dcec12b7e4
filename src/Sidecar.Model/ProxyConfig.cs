namespace Sidecar.Model;

/// <summary>
/// One immutable, versioned snapshot of everything the data plane needs, shaped like Envoy's config: listeners ->
/// route tables -> virtual hosts -> routes -> clusters -> endpoints. Every config source (Istio YAML files, istiod
/// over xDS) builds one of these; the data plane compiles it once and swaps it in.
/// </summary>
public sealed record ProxyConfig
{
    /// <summary>A version that changes whenever the content does (shown in <c>/config_dump</c> and metrics).</summary>
    public required string Version { get; init; }

    public required ConfigOrigin Origin { get; init; }

    public EquatableArray<ListenerConfig> Listeners { get; init; }

    public EquatableArray<RouteTableConfig> RouteTables { get; init; }

    public EquatableArray<ClusterConfig> Clusters { get; init; }

    public MeshConfig Mesh { get; init; } = MeshConfig.Default;

    /// <summary>The AuthorizationPolicies that apply to this workload's inbound traffic.</summary>
    public EquatableArray<AuthorizationPolicyConfig> AuthorizationPolicies { get; init; }

    /// <summary>The external authorization service AuthorizationPolicy CUSTOM policies use; null without one.</summary>
    public ExtAuthzConfig? ExtAuthz { get; init; }

    /// <summary>The JWT issuers this workload's inbound requests are verified against (RequestAuthentication).</summary>
    public EquatableArray<JwtRuleConfig> JwtRules { get; init; }

    /// <summary>The DNS proxy's name table (Istio's NDS): hosts the sidecar answers itself when DNS capture is on.</summary>
    public EquatableArray<NameInfoConfig> NameTable { get; init; }

    /// <summary>A snapshot with nothing configured.</summary>
    public static ProxyConfig Empty(ConfigOrigin origin) => new() { Version = "0", Origin = origin };

    public ClusterConfig? FindCluster(string name)
    {
        foreach (var cluster in Clusters)
        {
            if (cluster.Name == name)
            {
                return cluster;
            }
        }

        return null;
    }

    public RouteTableConfig? FindRouteTable(string name)
    {
        foreach (var table in RouteTables)
        {
            if (table.Name == name)
            {
                return table;
            }
        }

        return null;
    }
}
