using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Sidecar.Model;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Every cluster's live state by name. Reconciling with a snapshot updates clusters that stay, creates new ones and
/// retires removed ones, so a push never drops the pools or ejections of clusters it did not change.
/// </summary>
internal sealed class ClusterRegistry : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterState> _logger;
    private readonly Lock _gate = new();
    private Dictionary<string, ClusterState> _clusters = new(StringComparer.Ordinal);

    private readonly Security.UpstreamTlsOriginator? _tls;

    private readonly System.Net.IPAddress? _loopbackSource;

    /// <param name="loopbackSource">The source of connections to loopback endpoints (<see cref="SourceAddress.For"/>).</param>
    public ClusterRegistry(TimeProvider time, ILogger<ClusterState> logger, Security.UpstreamTlsOriginator? tls = null, System.Net.IPAddress? loopbackSource = null)
    {
        _time = time;
        _logger = logger;
        _tls = tls;
        _loopbackSource = loopbackSource;
    }

    /// <summary>Brings the live clusters in line with <paramref name="clusters"/> and returns them by name.</summary>
    public FrozenDictionary<string, ClusterState> Reconcile(EquatableArray<ClusterConfig> clusters)
    {
        lock (_gate)
        {
            var next = new Dictionary<string, ClusterState>(clusters.Count, StringComparer.Ordinal);
            foreach (var config in clusters)
            {
                if (_clusters.Remove(config.Name, out var existing))
                {
                    existing.Update(config);
                    next[config.Name] = existing;
                }
                else
                {
                    next[config.Name] = new ClusterState(config, _time, _logger, _tls, _loopbackSource);
                }
            }

            foreach (var removed in _clusters.Values)
            {
                removed.Dispose();
            }

            _clusters = next;
            return next.ToFrozenDictionary(StringComparer.Ordinal);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var cluster in _clusters.Values)
            {
                cluster.Dispose();
            }

            _clusters.Clear();
        }
    }
}
