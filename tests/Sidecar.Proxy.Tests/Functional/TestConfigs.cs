using Sidecar.Model;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Builds snapshots shaped as istiod would generate them, around real test backends.</summary>
internal static class TestConfigs
{
    public const string Namespace = "default";

    public static string Fqdn(string service) => $"{service}.{Namespace}.svc.cluster.local";

    public static EndpointConfig Endpoint(TestBackend backend, params (string Key, string Value)[] labels) =>
        new() { Address = backend.Address, Port = backend.Port, Labels = Labels.From(labels) };

    public static ClusterConfig Cluster(string service, int port, string? subset, params EndpointConfig[] endpoints) => new()
    {
        Name = ClusterName.Outbound(port, subset, Fqdn(service)),
        Endpoints = [.. endpoints],
        Service = new ServiceMetadata(Fqdn(service), service, Namespace, port, subset),
    };

    /// <summary>Istio's domains for a service seen from its own namespace.</summary>
    public static EquatableArray<string> Domains(string service, int port)
    {
        var fqdn = Fqdn(service);
        string[] names = [fqdn, service, $"{service}.{Namespace}", $"{service}.{Namespace}.svc"];
        return [.. names, .. names.Select(n => $"{n}:{port}")];
    }

    public static RouteConfig RouteTo(string cluster, RouteMatchConfig? match = null) => new()
    {
        Match = match ?? RouteMatchConfig.Any,
        Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster }] },
    };

    public static ProxyConfig Snapshot(int port, string service, IEnumerable<RouteConfig> routes, IEnumerable<ClusterConfig> clusters) => new()
    {
        Version = Guid.NewGuid().ToString("N"),
        Origin = new ConfigOrigin("test", "memory", DateTimeOffset.UtcNow),
        RouteTables =
        [
            new RouteTableConfig
            {
                Name = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                VirtualHosts = [new VirtualHostConfig { Name = $"{Fqdn(service)}:{port}", Domains = Domains(service, port), Routes = [.. routes] }],
            },
        ],
        Clusters = [.. clusters, new ClusterConfig { Name = ClusterName.Passthrough, Type = ClusterDiscoveryType.OriginalDst, LbPolicy = LoadBalancerPolicy.ClusterProvided }],
    };
}
