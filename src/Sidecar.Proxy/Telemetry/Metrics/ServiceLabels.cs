using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// destination_service, destination_service_name and destination_service_namespace for one cluster, computed once
/// per cluster config (a config push that changes the cluster makes a new instance).
/// </summary>
internal sealed class ServiceLabels
{
    public static readonly ServiceLabels Unknown = new(null, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown);

    private ServiceLabels(ClusterConfig? config, string clusterName, string service, string name, string @namespace)
    {
        Config = config;
        ClusterName = clusterName;
        Service = service;
        Name = name;
        Namespace = @namespace;
    }

    /// <summary>The cluster config these labels were computed from (compared by reference to notice a push).</summary>
    public ClusterConfig? Config { get; }

    /// <summary>The upstream cluster (span tag upstream_cluster, access log %UPSTREAM_CLUSTER%).</summary>
    public string ClusterName { get; }

    public string Service { get; }

    public string Name { get; }

    public string Namespace { get; }

    /// <summary>Envoy's operation name for the cluster's spans: <c>&lt;host&gt;:&lt;port&gt;/*</c>.</summary>
    public string? OperationName { get; private init; }

    /// <summary>
    /// Istio's host-header fallback on the source reporter, for requests without a mesh service: destination_service
    /// is the request's authority, destination_service_name the catch-all's name (PassthroughCluster,
    /// BlackHoleCluster) or, with no cluster at all (404 NR), the authority too.
    /// </summary>
    public static ServiceLabels ForHost(string authority, string name, ServiceLabels cluster) =>
        new(cluster.Config, cluster.ClusterName, authority, name, IstioLabelNames.Unknown) { OperationName = cluster.OperationName };

    /// <summary>Whether this is a catch-all cluster (PassthroughCluster), or no cluster, that the host header stands in for.</summary>
    public bool IsHostFallback => Config?.Service is null;

    public static ServiceLabels From(ClusterState cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var config = cluster.Config;
        if (config.Service is { } service)
        {
            return new ServiceLabels(config, cluster.Name, service.Host, service.Name, service.Namespace)
            {
                OperationName = $"{service.Host}:{service.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/*",
            };
        }

        // PassthroughCluster and BlackHoleCluster (allow_any / block_all) name themselves, as Istio reports them.
        return cluster.Name is Model.ClusterName.Passthrough or Model.ClusterName.BlackHole or Model.ClusterName.InboundPassthrough
            ? new ServiceLabels(config, cluster.Name, cluster.Name, cluster.Name, IstioLabelNames.Unknown)
            : new ServiceLabels(config, cluster.Name, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown);
    }
}
