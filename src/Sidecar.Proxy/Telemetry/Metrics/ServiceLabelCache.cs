using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// <see cref="ServiceLabels"/> per live cluster, recomputed only when a push replaced the cluster's config. Weak keys:
/// a cluster dropped by a push takes its entry with it.
/// </summary>
internal sealed class ServiceLabelCache
{
    /// <summary>Host-fallback labels kept for reuse; past this many distinct authorities new ones are not kept.</summary>
    private const int MaxHostEntries = 1024;

    private readonly ConditionalWeakTable<ClusterState, ServiceLabels> _labels = new();
    private readonly ConcurrentDictionary<(string Authority, string Name, ServiceLabels Cluster), ServiceLabels> _hosts = new();

    /// <summary>The host-header fallback labels for <paramref name="authority"/> (see <see cref="ServiceLabels.ForHost"/>).</summary>
    public ServiceLabels ForHost(string authority, string name, ServiceLabels cluster)
    {
        if (_hosts.TryGetValue((authority, name, cluster), out var labels))
        {
            return labels;
        }

        labels = ServiceLabels.ForHost(authority, name, cluster);
        if (_hosts.Count < MaxHostEntries)
        {
            _hosts.TryAdd((authority, name, cluster), labels);
        }

        return labels;
    }

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
