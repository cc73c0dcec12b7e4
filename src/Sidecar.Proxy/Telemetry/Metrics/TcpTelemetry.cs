using Sidecar.Proxy.Http;
using Sidecar.Proxy.Tcp;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Istio's TCP metrics from the TCP proxy's connection events: opened when the upstream connection is made, bytes
/// and closed when it ends (a connection that never reached upstream counts as opened and closed, with its flag).
/// </summary>
internal sealed class TcpTelemetry
{
    private readonly IstioMetrics _metrics;
    private readonly ServiceLabelCache _services = new();

    public TcpTelemetry(IstioMetrics metrics) => _metrics = metrics;

    public void OnOpened(TcpConnectionStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        _metrics.RecordTcpOpened(Key(stats, ResponseFlags.None));
    }

    public void OnClosed(TcpConnectionStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var key = Key(stats, stats.Flags);
        if ((stats.Flags & (ResponseFlags.UpstreamConnectionFailure | ResponseFlags.NoHealthyUpstream | ResponseFlags.NoClusterFound)) != 0)
        {
            // Refused before any byte moved (UF, UH, NC): ConnectionOpened never fired for it.
            _metrics.RecordTcpOpened(key);
        }

        _metrics.RecordTcpClosed(key, stats.ReceivedBytes, stats.SentBytes);
    }

    private TcpSeriesKey Key(TcpConnectionStats stats, ResponseFlags flags) => new(
        stats.Direction,
        WorkloadLabels.Unknown,
        _services.For(stats.Cluster),
        IstioLabelNames.Unknown,
        flags,
        stats.Direction == RequestDirection.Outbound ? SecurityPolicy.Unknown : SecurityPolicy.None);
}
