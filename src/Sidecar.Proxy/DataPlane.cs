using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy;

/// <summary>
/// Turns published <see cref="ProxyConfig"/> snapshots into <see cref="DataPlaneSnapshot"/>s: reconciles live
/// cluster state, compiles route tables, and swaps the reference requests read. Compilation happens on the
/// publishing thread; the hot path never locks.
/// </summary>
internal sealed partial class DataPlane : IDisposable
{
    private readonly ProxyConfigStore _store;
    private readonly ClusterRegistry _clusters;
    private readonly ILogger<DataPlane> _logger;
    private readonly Lock _compileGate = new();

    // Keys fetched from RequestAuthentication jwksUris outlive config pushes.
    private readonly Security.Jwt.JwksCache _jwks = new(TimeProvider.System);
    private DataPlaneSnapshot? _current;

    public DataPlane(ProxyConfigStore store, ClusterRegistry clusters, ILogger<DataPlane> logger)
    {
        _store = store;
        _clusters = clusters;
        _logger = logger;
        _store.Published += Apply;
        if (_store.Current is { } existing)
        {
            Apply(existing);
        }
    }

    /// <summary>The compiled snapshot being served, or null before the first config.</summary>
    public DataPlaneSnapshot? Current => Volatile.Read(ref _current);

    /// <summary>Raised after a new snapshot is in place.</summary>
    public event Action<DataPlaneSnapshot>? Applied;

    public ProxyConfigStore Store => _store;

    public void Dispose()
    {
        _store.Published -= Apply;
        _clusters.Dispose();
        _jwks.Dispose();
    }

    private void Apply(ProxyConfig config)
    {
        DataPlaneSnapshot snapshot;
        lock (_compileGate)
        {
            var clusters = _clusters.Reconcile(config.Clusters);
            snapshot = new DataPlaneSnapshot(config, clusters, _jwks, _logger);
            Volatile.Write(ref _current, snapshot);
        }

        Log.Applied(_logger, config.Version, config.Origin.Location, config.Listeners.Count, config.RouteTables.Count, config.Clusters.Count);
        Applied?.Invoke(snapshot);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Applied config version {Version} from {Source}: {Listeners} listeners, {RouteTables} route tables, {Clusters} clusters")]
        public static partial void Applied(ILogger logger, string version, string source, int listeners, int routeTables, int clusters);
    }
}
