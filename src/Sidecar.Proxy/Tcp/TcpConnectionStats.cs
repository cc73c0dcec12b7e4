namespace Sidecar.Proxy.Tcp;

/// <summary>
/// One proxied TCP connection as telemetry sees it: where it went and how many bytes crossed each way. Updated
/// while the connection runs; final when it closes.
/// </summary>
internal sealed class TcpConnectionStats
{
    private long _received;
    private long _sent;

    private readonly TimeProvider _time;
    private readonly long _startTimestamp;

    public TcpConnectionStats(string clusterName, Upstream.ClusterState? cluster, Http.RequestDirection direction, TimeProvider? time = null)
    {
        ClusterName = clusterName;
        Cluster = cluster;
        Direction = direction;
        _time = time ?? TimeProvider.System;
        StartTime = _time.GetUtcNow();
        _startTimestamp = _time.GetTimestamp();
    }

    /// <summary>When the connection was handed to the TCP proxy (the access log's %START_TIME%).</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>How long the connection has run (the access log's %DURATION% once it closed).</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_startTimestamp);

    /// <summary>The client's address (%DOWNSTREAM_REMOTE_ADDRESS%).</summary>
    public System.Net.IPEndPoint? DownstreamRemote { get; init; }

    /// <summary>Where the client was going: the original destination of a captured connection, else the listener (%DOWNSTREAM_LOCAL_ADDRESS%).</summary>
    public System.Net.IPEndPoint? DownstreamLocal { get; init; }

    public string ClusterName { get; }

    public Upstream.ClusterState? Cluster { get; }

    public Http.RequestDirection Direction { get; }

    /// <summary>Bytes from downstream (the client) to upstream.</summary>
    public long ReceivedBytes => Interlocked.Read(ref _received);

    /// <summary>Bytes from upstream back to downstream.</summary>
    public long SentBytes => Interlocked.Read(ref _sent);

    /// <summary>Envoy's flags for the connection: UF when the upstream could not be reached, UH with no endpoint.</summary>
    public Http.ResponseFlags Flags { get; set; }

    public string? UpstreamHost { get; set; }

    /// <summary>Why the upstream connect failed, as Envoy words it (%UPSTREAM_TRANSPORT_FAILURE_REASON%); null otherwise.</summary>
    public string? UpstreamTransportFailureReason { get; set; }

    /// <summary>Where the upstream connection left from (%UPSTREAM_LOCAL_ADDRESS%); null until connected.</summary>
    public System.Net.IPEndPoint? UpstreamLocal { get; set; }

    /// <summary>The downstream arrived over Istio mTLS (inbound); its peer is <see cref="PeerPrincipal"/>.</summary>
    public bool IsMutualTls { get; init; }

    /// <summary>The downstream peer's SPIFFE id under mTLS (Istio's <c>source.principal</c>); null otherwise.</summary>
    public string? PeerPrincipal { get; init; }

    /// <summary>The upstream connection was TLS originated by this sidecar (ISTIO_MUTUAL, SIMPLE or MUTUAL).</summary>
    public bool UpstreamTls { get; set; }

    /// <summary>The downstream peer's workload metadata from the TCP metadata exchange (inbound mTLS); null when none.</summary>
    public Model.PeerMetadata? DownstreamPeerMetadata { get; init; }

    /// <summary>The SNI the downstream connection's TLS ClientHello named (%REQUESTED_SERVER_NAME%); null for plaintext.</summary>
    public string? RequestedServerName { get; init; }

    /// <summary>The upstream peer's workload metadata from the TCP metadata exchange (ALPN istio-peer-exchange); null when none.</summary>
    public Model.PeerMetadata? UpstreamPeerMetadata { get; set; }

    public void AddReceived(long bytes) => Interlocked.Add(ref _received, bytes);

    public void AddSent(long bytes) => Interlocked.Add(ref _sent, bytes);
}
