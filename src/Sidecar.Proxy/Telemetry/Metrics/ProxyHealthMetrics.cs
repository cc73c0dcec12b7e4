using Prometheus;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// The sidecar's own health figures, read from live state just before each scrape (nothing on the hot path):
/// config pushes and refusals (sidecar_*), and per cluster Envoy's counters under Envoy's Prometheus names
/// (envoy_cluster_upstream_rq_total, _retry, _pending_overflow, _active, envoy_cluster_membership_healthy|total).
/// </summary>
internal sealed class ProxyHealthMetrics
{
    private readonly DataPlane _dataPlane;
    private readonly Counter _pushes;
    private readonly Counter _rejected;
    private readonly Gauge _configInfo;
    private readonly Gauge _clusters;
    private readonly Counter _upstreamRequests;
    private readonly Counter _upstreamRetries;
    private readonly Counter _upstreamOverflows;
    private readonly Gauge _upstreamActive;
    private readonly Gauge _membershipTotal;
    private readonly Gauge _membershipHealthy;
    private readonly Lock _gate = new();
    private HashSet<string> _published = new(StringComparer.Ordinal);
    private string? _version;

    public ProxyHealthMetrics(CollectorRegistry registry, DataPlane dataPlane)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _dataPlane = dataPlane;
        var factory = MetricFactories.For(registry);
        _pushes = factory.CreateCounter("sidecar_config_push_total", "Config snapshots accepted since start.");
        _rejected = factory.CreateCounter("sidecar_config_rejected_total", "Configs refused since start (the previous one kept serving).");
        _configInfo = factory.CreateGauge("sidecar_config_info", "The config version being served (value 1).", "version");
        _clusters = factory.CreateGauge("sidecar_clusters", "Clusters in the served config.");
        const string cluster = "cluster_name";
        _upstreamRequests = factory.CreateCounter("envoy_cluster_upstream_rq_total", "Requests sent to the cluster.", cluster);
        _upstreamRetries = factory.CreateCounter("envoy_cluster_upstream_rq_retry", "Retries to the cluster.", cluster);
        _upstreamOverflows = factory.CreateCounter("envoy_cluster_upstream_rq_pending_overflow", "Requests refused by the cluster's circuit breaker (UO).", cluster);
        _upstreamActive = factory.CreateGauge("envoy_cluster_upstream_rq_active", "Requests in flight to the cluster.", cluster);
        _membershipTotal = factory.CreateGauge("envoy_cluster_membership_total", "Endpoints in the cluster (its pool size).", cluster);
        _membershipHealthy = factory.CreateGauge("envoy_cluster_membership_healthy", "Healthy endpoints in the cluster.", cluster);
        registry.AddBeforeCollectCallback(Update);
    }

    private void Update()
    {
        lock (_gate)
        {
            var store = _dataPlane.Store;
            _pushes.IncTo(store.PushCount);
            _rejected.IncTo(store.RejectedCount);
            if (_dataPlane.Current is not { } snapshot)
            {
                return;
            }

            if (snapshot.Config.Version != _version)
            {
                if (_version is not null)
                {
                    _configInfo.RemoveLabelled(_version);
                }

                _version = snapshot.Config.Version;
                _configInfo.WithLabels(_version).Set(1);
            }

            _clusters.Set(snapshot.Clusters.Count);
            var current = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, state) in snapshot.Clusters)
            {
                current.Add(name);
                _upstreamRequests.WithLabels(name).IncTo(state.RequestsTotal);
                _upstreamRetries.WithLabels(name).IncTo(state.Retries);
                _upstreamOverflows.WithLabels(name).IncTo(state.Overflows);
                _upstreamActive.WithLabels(name).Set(state.ActiveRequests);
                var endpoints = state.Endpoints;
                _membershipTotal.WithLabels(name).Set(endpoints.All.Length);
                _membershipHealthy.WithLabels(name).Set(endpoints.Healthy.Length);
            }

            // Clusters a push removed stop being reported.
            foreach (var name in _published)
            {
                if (!current.Contains(name))
                {
                    _upstreamRequests.RemoveLabelled(name);
                    _upstreamRetries.RemoveLabelled(name);
                    _upstreamOverflows.RemoveLabelled(name);
                    _upstreamActive.RemoveLabelled(name);
                    _membershipTotal.RemoveLabelled(name);
                    _membershipHealthy.RemoveLabelled(name);
                }
            }

            _published = current;
        }
    }
}
