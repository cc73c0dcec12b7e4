using Prometheus;
using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Istio's standard metrics (istio/proxy's stats plugin): request count, duration and sizes for HTTP/gRPC, bytes and
/// connections for TCP, from the reporter on each side, laid out as the Telemetry API's metrics overrides say. A
/// config push that changes the overrides swaps in new families (their series start again from zero, as Envoy's do
/// when its stats filter config changes); otherwise the families live as long as the process.
/// </summary>
internal sealed class IstioMetrics
{
    private readonly Gauge _tcpActive;
    private readonly Lock _gate = new();
    private IstioMetricFamilies _families;

    public IstioMetrics(CollectorRegistry registry, WorkloadLabels self)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Self = self;
        _tcpActive = MetricFactories.For(registry)
            .CreateGauge("sidecar_tcp_connections_active", "Proxied TCP connections open now (both directions).");
        _families = new IstioMetricFamilies(IstioMetricsLayout.Standard, self);
    }

    /// <summary>This sidecar's own workload: source_* on outbound, destination_* on inbound.</summary>
    public WorkloadLabels Self { get; }

    /// <summary>The families in force; a request reads it once and records into it.</summary>
    public IstioMetricFamilies Families => Volatile.Read(ref _families);

    /// <summary>Series made so far (one per distinct label set).</summary>
    public int HttpSeriesCount => Families.HttpSeriesCount;

    /// <summary>Lays the families out for the Telemetry overrides in force, when they differ from the current ones.</summary>
    public void Apply(EquatableArray<MetricOverrideConfig> overrides)
    {
        lock (_gate)
        {
            if (!_families.Layout.Overrides.Equals(overrides))
            {
                Volatile.Write(ref _families, new IstioMetricFamilies(new IstioMetricsLayout(overrides), Self));
            }
        }
    }

    public void RecordRequest(in HttpSeriesKey key, double durationMs, long requestBytes, long responseBytes) =>
        Families.RecordRequest(key, durationMs, requestBytes, responseBytes);

    public void RecordTcpOpened(in TcpSeriesKey key)
    {
        Families.RecordTcpOpened(key);
        _tcpActive.Inc();
    }

    public void RecordTcpClosed(in TcpSeriesKey key, long received, long sent)
    {
        Families.RecordTcpClosed(key, received, sent);
        _tcpActive.Dec();
    }

    /// <summary>Writes the istio_* families in Prometheus text format (after the sidecar's own registry).</summary>
    public Task ExportAsTextAsync(Stream destination, CancellationToken cancellationToken) =>
        Families.Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
