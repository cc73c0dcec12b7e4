using System.Globalization;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>The snapshot a config dump is written from, with the lookups its writers share.</summary>
internal sealed class DumpSource
{
    private readonly Dictionary<string, ClusterConfig> _clusters;

    public DumpSource(ProxyConfig config, WorkloadInfo workload)
    {
        Config = config;
        Workload = workload;
        _clusters = new Dictionary<string, ClusterConfig>(config.Clusters.Count, StringComparer.Ordinal);
        foreach (var cluster in config.Clusters)
        {
            _clusters.TryAdd(cluster.Name, cluster);
        }

        // One source push made everything in the snapshot: its version and time stand for every resource.
        LastUpdated = config.Origin.LoadedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    public ProxyConfig Config { get; }

    public WorkloadInfo Workload { get; }

    public string Version => Config.Version;

    /// <summary>A <c>google.protobuf.Timestamp</c> of when the snapshot was built.</summary>
    public string LastUpdated { get; }

    public ClusterConfig? Cluster(string name) => _clusters.GetValueOrDefault(name);

    public ServiceMetadata? ServiceOf(string clusterName) => Cluster(clusterName)?.Service;
}
