using System.Runtime.CompilerServices;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// <see cref="ServiceLabels"/> per live cluster, recomputed only when a push replaced the cluster's config. Weak keys:
/// a cluster dropped by a push takes its entry with it.
/// </summary>
internal sealed class ServiceLabelCache
{
    private readonly ConditionalWeakTable<ClusterState, ServiceLabels> _labels = new();

    public ServiceLabels For(ClusterState? cluster)
    {
        if (cluster is null)
        {
            return ServiceLabels.Unknown;
        }

        if (_labels.TryGetValue(cluster, out var labels) && ReferenceEquals(labels.Config, cluster.Config))
        {
            return labels;
        }

        labels = ServiceLabels.From(cluster);
        _labels.AddOrUpdate(cluster, labels);
        return labels;
    }
}
