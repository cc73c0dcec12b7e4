using System.Runtime.CompilerServices;
using Sidecar.Model;
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
    private readonly TelemetrySettings? _settings;
    private readonly ServiceLabelCache _services = new();

    // The peer's labels from Istio's TCP metadata exchange, made once per exchanged metadata object.
    private readonly ConditionalWeakTable<PeerMetadata, WorkloadLabels> _peers = new();

    public TcpTelemetry(IstioMetrics metrics, TelemetrySettings? settings = null)
    {
        _metrics = metrics;
        _settings = settings;
    }

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
        if (_settings is not null && _settings.ShouldLogConnection(stats.Direction))
        {
            Enqueue(_settings.AccessLogs, Entry(stats));
        }
    }

    /// <summary>
    /// A connection its listener had no filter chain for: Istio gives each listener an access log that keeps only
    /// such lines (response flag NR); no TCP metric counts it, as no filter saw it.
    /// </summary>
    public void OnWithoutChain(TcpConnectionStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (_settings is not null && _settings.ShouldLogConnection(stats.Direction))
        {
            Enqueue(_settings.AccessLogs, Entry(stats) with { UpstreamCluster = null, ResponseCodeDetails = "filter_chain_not_found" });
        }
    }

    private static void Enqueue(AccessLog.AccessLogSink[] logs, in AccessLog.AccessLogEntry entry)
    {
        foreach (var log in logs)
        {
            log.Enqueue(entry);
        }
    }

    /// <summary>
    /// The connection's access log line, as Envoy's tcp_proxy writes it with Istio's format: no request
    /// (<c>"- - -"</c>), response code 0, the bytes each way, the upstream host and cluster, the addresses.
    /// </summary>
    private static AccessLog.AccessLogEntry Entry(TcpConnectionStats stats) => new()
    {
        StartTime = stats.StartTime,
        Method = "-",
        Protocol = "-",
        ResponseCode = 0,
        Flags = stats.Flags,
        UpstreamTransportFailureReason = stats.UpstreamTransportFailureReason,
        BytesReceived = stats.ReceivedBytes,
        BytesSent = stats.SentBytes,
        DurationMs = (long)stats.Elapsed.TotalMilliseconds,
        UpstreamHost = stats.UpstreamHost,
        UpstreamCluster = stats.ClusterName,
        UpstreamLocal = stats.UpstreamLocal,
        DownstreamPeerUriSan = stats.PeerPrincipal,
        RequestedServerName = stats.RequestedServerName,
        DownstreamLocalAddress = stats.DownstreamLocal?.Address,
        DownstreamLocalPort = stats.DownstreamLocal?.Port ?? 0,
        DownstreamRemoteAddress = stats.DownstreamRemote?.Address,
        DownstreamRemotePort = stats.DownstreamRemote?.Port ?? 0,
        Attempts = stats.UpstreamHost is null ? 0 : 1,
    };

    /// <summary>
    /// The connection's series: the peer is the other workload (its exchanged metadata: downstream on inbound,
    /// upstream on outbound), the principal the downstream's SPIFFE id on inbound and the upstream's identity on
    /// outbound; connection_security_policy as Istio reports it (the source reporter does not know it).
    /// </summary>
    private TcpSeriesKey Key(TcpConnectionStats stats, ResponseFlags flags)
    {
        var inbound = stats.Direction == RequestDirection.Inbound;
        var peer = inbound ? stats.DownstreamPeerMetadata : stats.UpstreamPeerMetadata;
        var principal = inbound ? stats.PeerPrincipal : stats.UpstreamPeerMetadata?.Identity;
        return new TcpSeriesKey(
            stats.Direction,
            peer is null ? WorkloadLabels.Unknown : _peers.GetValue(peer, static metadata => WorkloadLabels.From(metadata)),
            _services.For(stats.Cluster),
            principal ?? IstioLabelNames.Unknown,
            flags,
            !inbound ? SecurityPolicy.Unknown : stats.IsMutualTls ? SecurityPolicy.MutualTls : SecurityPolicy.None);
    }
}
