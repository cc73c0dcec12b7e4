using System.Reflection;
using Prometheus;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// The server-wide series Istio's dashboards and alerts read from a proxy, under Envoy's Prometheus names:
/// <c>istio_build{component="proxy"}</c> (the Mesh dashboard's versions panel), <c>envoy_server_*</c> (state, uptime,
/// memory, connections), <c>envoy_cluster_manager_*</c> and <c>envoy_listener_manager_*</c> (config updates). Read from
/// live state just before each scrape.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly string Version = typeof(ServerMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    private readonly DataPlane _dataPlane;
    private readonly ProxyReadiness _readiness;
    private readonly DownstreamConnections _connections;
    private readonly ListenerManager _listeners;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Gauge _live;
    private readonly Gauge _state;
    private readonly Gauge _uptime;
    private readonly Gauge _memoryAllocated;
    private readonly Gauge _memoryHeapSize;
    private readonly Gauge _totalConnections;
    private readonly Gauge _activeClusters;
    private readonly Counter _cdsSuccess;
    private readonly Counter _cdsRejected;
    private readonly Counter _ldsSuccess;
    private readonly Counter _ldsRejected;
    private readonly Gauge _listenersActive;
    private readonly Lock _gate = new();
    private readonly int _concurrency;

    public ServerMetrics(CollectorRegistry registry, DataPlane dataPlane, ProxyReadiness readiness, DownstreamConnections connections, ListenerManager listeners, int concurrency, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _dataPlane = dataPlane;
        _readiness = readiness;
        _connections = connections;
        _listeners = listeners;
        _time = time;
        _concurrency = concurrency;
        _started = time.GetTimestamp();
        var factory = MetricFactories.For(registry);
        factory.CreateGauge("istio_build", "Istio component build info (value 1).", "component", "tag").WithLabels("proxy", Version).Set(1);
        _live = factory.CreateGauge("envoy_server_live", "1 while the server is LIVE.");
        _state = factory.CreateGauge("envoy_server_state", "Envoy's server state: 0 LIVE, 1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING.");
        _uptime = factory.CreateGauge("envoy_server_uptime", "Seconds since the server started.");
        factory.CreateGauge("envoy_server_concurrency", "Worker threads (Istio's concurrency).").Set(concurrency);
        _memoryAllocated = factory.CreateGauge("envoy_server_memory_allocated", "Bytes of the managed heap in use.");
        _memoryHeapSize = factory.CreateGauge("envoy_server_memory_heap_size", "Bytes of the managed heap committed.");
        _totalConnections = factory.CreateGauge("envoy_server_total_connections", "Downstream connections open on the data listeners.");
        _activeClusters = factory.CreateGauge("envoy_cluster_manager_active_clusters", "Clusters in the served config.");
        _cdsSuccess = factory.CreateCounter("envoy_cluster_manager_cds_update_success", "Cluster config updates applied.");
        _cdsRejected = factory.CreateCounter("envoy_cluster_manager_cds_update_rejected", "Cluster config updates refused.");
        _ldsSuccess = factory.CreateCounter("envoy_listener_manager_lds_update_success", "Listener config updates applied.");
        _ldsRejected = factory.CreateCounter("envoy_listener_manager_lds_update_rejected", "Listener config updates refused.");
        _listenersActive = factory.CreateGauge("envoy_listener_manager_total_listeners_active", "Listeners open.");
        registry.AddBeforeCollectCallback(Update);
    }

    /// <summary>
    /// The same server stats under Envoy's admin names, for the text <c>/stats</c>: pilot-agent's readiness check and
    /// operators read <c>server.state</c>, <c>server.live</c> and <c>listener_manager.workers_started</c> there.
    /// </summary>
    public void AddTo(IDictionary<string, long> stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        Update();
        lock (_gate)
        {
            stats["server.state"] = (long)_state.Value;
            stats["server.live"] = (long)_live.Value;
            stats["server.uptime"] = (long)_uptime.Value;
            stats["server.concurrency"] = _concurrency;
            stats["server.memory_allocated"] = (long)_memoryAllocated.Value;
            stats["server.memory_heap_size"] = (long)_memoryHeapSize.Value;
            stats["server.total_connections"] = (long)_totalConnections.Value;
            stats["listener_manager.total_listeners_active"] = (long)_listenersActive.Value;
            // The workers start listening once a config is applied (Envoy: after the initial xDS fetch).
            stats["listener_manager.workers_started"] = _dataPlane.Current is null ? 0 : 1;
        }
    }

    private void Update()
    {
        lock (_gate)
        {
            var state = _readiness.State switch
            {
                "LIVE" => 0,
                "DRAINING" => 1,
                _ => 2,
            };
            _live.Set(state == 0 ? 1 : 0);
            _state.Set(state);
            _uptime.Set(Math.Floor(_time.GetElapsedTime(_started).TotalSeconds));
            var memory = GC.GetGCMemoryInfo();
            _memoryAllocated.Set(GC.GetTotalMemory(forceFullCollection: false));
            _memoryHeapSize.Set(memory.TotalCommittedBytes);
            _totalConnections.Set(_connections.Active);
            var store = _dataPlane.Store;
            _cdsSuccess.IncTo(store.PushCount);
            _ldsSuccess.IncTo(store.PushCount);
            _cdsRejected.IncTo(store.RejectedCount);
            _ldsRejected.IncTo(store.RejectedCount);
            _activeClusters.Set(_dataPlane.Current?.Clusters.Count ?? 0);
            _listenersActive.Set((_listeners.Outbound is null ? 0 : 1) + (_listeners.Inbound is null ? 0 : 1) + _listeners.ConfiguredListeners.Count);
        }
    }
}
