using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Security;
using Sidecar.Proxy.Upstream;
using Sidecar.Proxy.Upstream.ProxyProtocol;

namespace Sidecar.Proxy.Tcp;

/// <summary>
/// Envoy's tcp_proxy: picks a cluster (weighted, Istio's <c>tcp</c>/<c>tls</c> routes) and an endpoint, connects
/// within the cluster's connect timeout, then copies bytes both ways until both sides have finished. Half-close is
/// honoured (a client's FIN is passed on while the server's reply still flows back), an idle connection is closed
/// after the chain's idle timeout, and byte counts are kept for telemetry.
/// </summary>
internal sealed partial class TcpProxy
{
    /// <summary>Each direction reads ahead into a pipe while the previous bytes are being written (64 KB reads, up to
    /// 512 KB in flight), so a slow side paces the other without a copy loop that alternates read and write.</summary>
    private static readonly PipeOptions CopyPipe = new(
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 512 * 1024,
        resumeWriterThreshold: 256 * 1024,
        minimumSegmentSize: ReadSize,
        useSynchronizationContext: false);

    private const int ReadSize = 64 * 1024;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger<TcpProxy> _logger;
    private readonly UpstreamTlsOriginator? _tls;

    public TcpProxy(TimeProvider time, ILogger<TcpProxy> logger, UpstreamTlsOriginator? tls = null)
    {
        _time = time;
        _random = Random.Shared;
        _logger = logger;
        _tls = tls;
    }

    /// <summary>Raised when a proxied connection is established upstream.</summary>
    public event Action<TcpConnectionStats>? ConnectionOpened;

    /// <summary>Raised when a proxied connection ends (also when it never reached upstream).</summary>
    public event Action<TcpConnectionStats>? ConnectionClosed;

    /// <summary>Raised for a connection its listener has no filter chain for, as it is closed (no upstream, no bytes).</summary>
    public event Action<TcpConnectionStats>? ConnectionWithoutChain;

    /// <summary>Closes a connection no filter chain takes: Envoy's listener sets NR and <c>filter_chain_not_found</c>.</summary>
    public void CloseWithoutChain(Socket downstream, IPEndPoint? originalDestination, RequestDirection direction)
    {
        if (ConnectionWithoutChain is { } handler)
        {
            handler(new TcpConnectionStats("-", null, direction, _time)
            {
                DownstreamRemote = downstream.RemoteEndPoint as IPEndPoint,
                DownstreamLocal = originalDestination ?? downstream.LocalEndPoint as IPEndPoint,
                Flags = ResponseFlags.NoRouteFound,
            });
        }

        downstream.Dispose();
    }

    /// <summary>Proxies <paramref name="downstream"/> per <paramref name="route"/>; returns when both directions are done.</summary>
    public Task RunAsync(Socket downstream, TcpProxyConfig route, DataPlaneSnapshot snapshot, IPEndPoint? originalDestination, RequestDirection direction, string? requestedServerName = null) =>
        RunAsync(new DownstreamStream(downstream), route, snapshot, originalDestination, direction, peer: null, requestedServerName: requestedServerName);

    /// <summary>Proxies a downstream that may be a terminated mTLS stream (<paramref name="peer"/> is then its client).</summary>
    public async Task RunAsync(DownstreamStream downstream, TcpProxyConfig route, DataPlaneSnapshot snapshot, IPEndPoint? originalDestination, RequestDirection direction, MutualTlsPeer? peer, PeerMetadata? peerMetadata = null, string? requestedServerName = null)
    {
        var clusterName = PickCluster(route);
        var cluster = snapshot.Clusters.GetValueOrDefault(clusterName);
        var stats = new TcpConnectionStats(clusterName, cluster, direction, _time)
        {
            IsMutualTls = peer is not null,
            PeerPrincipal = peer?.Principal,
            DownstreamPeerMetadata = peerMetadata,
            RequestedServerName = requestedServerName,
            DownstreamRemote = downstream.Socket.RemoteEndPoint as IPEndPoint,
            DownstreamLocal = originalDestination ?? downstream.Socket.LocalEndPoint as IPEndPoint,
        };
        DownstreamStream? upstream = null;
        EndpointState? endpoint = null;
        var connectionAcquired = false;
        try
        {
            // Envoy's tcp_proxy checks the cluster's max_connections before connecting: over it, the downstream
            // connection is closed with flag UO (upstream_cx_overflow).
            if (cluster is not null && !(connectionAcquired = cluster.TryAcquireConnection()))
            {
                stats.Flags |= ResponseFlags.UpstreamOverflow;
                return;
            }

            (upstream, endpoint) = await ConnectAsync(downstream.Socket, cluster, originalDestination, route.Tunneling, stats).ConfigureAwait(false);
            if (upstream is null)
            {
                return;
            }

            ConnectionOpened?.Invoke(stats);
            endpoint?.ConnectionOpened();
            try
            {
                await PumpBothWaysAsync(downstream, upstream, route.IdleTimeout, stats).ConfigureAwait(false);
            }
            finally
            {
                endpoint?.ConnectionClosed();
            }
        }
        finally
        {
            if (connectionAcquired)
            {
                cluster!.ReleaseConnection();
            }

            endpoint?.EndRequest(error: stats.Flags != ResponseFlags.None, connectFailure: (stats.Flags & ResponseFlags.UpstreamConnectionFailure) != 0);
            if (upstream is not null)
            {
                await upstream.DisposeAsync().ConfigureAwait(false);
            }

            await downstream.DisposeAsync().ConfigureAwait(false);
            ConnectionClosed?.Invoke(stats);
        }
    }

    private string PickCluster(TcpProxyConfig route)
    {
        var clusters = route.Clusters;
        if (clusters.Count == 1)
        {
            return clusters[0].Cluster;
        }

        var total = 0;
        foreach (var cluster in clusters)
        {
            total += Math.Max(0, cluster.Weight);
        }

        var draw = _random.Next(Math.Max(1, total));
        foreach (var cluster in clusters)
        {
            draw -= Math.Max(0, cluster.Weight);
            if (draw < 0)
            {
                return cluster.Cluster;
            }
        }

        return clusters[^1].Cluster;
    }

    private async Task<(DownstreamStream? Upstream, EndpointState? Endpoint)> ConnectAsync(Socket downstream, ClusterState? cluster, IPEndPoint? originalDestination, TcpTunnelingConfig? tunneling, TcpConnectionStats stats)
    {
        if (cluster is null)
        {
            stats.Flags |= ResponseFlags.NoClusterFound;
            return (null, null);
        }

        // An IP target, or (target null) the endpoint's unix domain socket.
        IPEndPoint? target = null;
        EndpointState? endpoint = null;
        if (cluster.IsOriginalDestination)
        {
            if (originalDestination is null)
            {
                stats.Flags |= ResponseFlags.NoHealthyUpstream;
                return (null, null);
            }

            target = originalDestination;
        }
        else
        {
            if (cluster.FirstResolution is { IsCompleted: false } resolving)
            {
                await resolving.WaitAsync(cluster.Config.ConnectTimeout, _time).ConfigureAwait(false);
            }

            // Hash-based balancers place a TCP connection by its source address, as Envoy does without an HTTP request.
            var hash = cluster.Config.LbPolicy is LoadBalancerPolicy.RingHash or LoadBalancerPolicy.Maglev && downstream.RemoteEndPoint is IPEndPoint source
                ? RequestHash.HashString(source.Address.ToString())
                : (ulong?)null;
            endpoint = cluster.PickEndpoint(hash, _random);
            IPAddress? address = null;
            if (endpoint is null || (endpoint.UnixSocket is null && !IPAddress.TryParse(endpoint.Address, out address)))
            {
                stats.Flags |= ResponseFlags.NoHealthyUpstream;
                return (null, null);
            }

            target = address is null ? null : new IPEndPoint(address, endpoint.Port);
            endpoint.BeginRequest();
        }

        var host = target?.ToString() ?? endpoint!.Key;
        stats.UpstreamHost = host;
        using var timeout = new CancellationTokenSource(cluster.Config.ConnectTimeout, _time);
        try
        {
            var socket = target is null
                ? await UpstreamConnectionFactory.ConnectUnixSocketAsync(endpoint!.UnixSocket!, timeout.Token).ConfigureAwait(false)
                : await UpstreamConnectionFactory.ConnectSocketAsync(new DnsEndPoint(target.Address.ToString(), target.Port), cluster.SourceAddressFor(target.Address), cluster.Config.TcpKeepalive, timeout.Token).ConfigureAwait(false);
            stats.UpstreamLocal = socket.LocalEndPoint as IPEndPoint;
            if (cluster.Config.ProxyProtocol is { } proxyProtocol)
            {
                await SendProxyProtocolAsync(socket, proxyProtocol, stats, timeout.Token).ConfigureAwait(false);
            }

            // The endpoint was picked above: ask for its settings directly (an original-destination target has none).
            var settings = _tls is null ? null
                : endpoint is not null ? _tls.SettingsFor(cluster.Config, endpoint.Config)
                : _tls.SettingsFor(cluster.Config, target!.Address.ToString(), target.Port);
            if (_tls is null || settings is not { } tls)
            {
                RecordConnectSuccess(cluster, endpoint);
                return (await TunnelAsync(new DownstreamStream(socket), tunneling, timeout.Token).ConfigureAwait(false), endpoint);
            }

            // Istio mTLS toward the peer sidecar's TCP chain: ALPN istio-peer-exchange, istio.
            stats.UpstreamTls = true;
            var alpn = tls.Mode == UpstreamTlsMode.IstioMutual ? IstioAlpn.Tcp : null;
            try
            {
                // tcp_proxy has no request host: no auto SNI, no auto SAN validation (only a rule's sni and subjectAltNames).
                var ssl = await _tls.AuthenticateAsync(new NetworkStream(socket, ownsSocket: false), tls, autoHost: null, alpn, timeout.Token).ConfigureAwait(false);
                try
                {
                    stats.UpstreamPeerMetadata = await TcpMetadataExchange.ExchangeAsync(ssl, _tls.Identity.TcpPreamble, timeout.Token).ConfigureAwait(false);
                }
                catch
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                RecordConnectSuccess(cluster, endpoint);
                return (await TunnelAsync(new DownstreamStream(ssl, socket), tunneling, timeout.Token).ConfigureAwait(false), endpoint);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or InvalidDataException or System.Security.Authentication.AuthenticationException)
        {
            stats.Flags |= ResponseFlags.UpstreamConnectionFailure;
            stats.UpstreamTransportFailureReason = ConnectFailureReply.TransportFailureReason(ex);
            if (endpoint is not null)
            {
                cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
            }

            Log.ConnectFailed(_logger, host, cluster.Name, ex.Message);
            return (null, endpoint);
        }
    }

    /// <summary>
    /// The PROXY protocol header, ahead of TLS and of the client's bytes: Envoy's tcp_proxy hands the upstream socket
    /// the downstream connection's two ends (the client, and where it connected: the original destination if captured).
    /// </summary>
    private static async ValueTask SendProxyProtocolAsync(Socket upstream, ProxyProtocolVersion version, TcpConnectionStats stats, CancellationToken cancellationToken)
    {
        try
        {
            var header = stats.DownstreamRemote is { } client && stats.DownstreamLocal is { } dialled
                ? ProxyProtocolHeader.For(version, client, dialled)
                : ProxyProtocolHeader.WithoutClient(version, upstream.LocalEndPoint, upstream.RemoteEndPoint);
            await upstream.SendAsync(header, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            upstream.Dispose();
            throw;
        }
    }

    /// <summary>Opens the route's HTTP tunnel on the connection (Istio's <c>tunnel</c>); the connection itself without one.</summary>
    private static async ValueTask<DownstreamStream> TunnelAsync(DownstreamStream upstream, TcpTunnelingConfig? tunneling, CancellationToken cancellationToken)
    {
        if (tunneling is null)
        {
            return upstream;
        }

        try
        {
            return upstream.Through(await Tunneling.HttpTunnel.OpenAsync(upstream.Stream, tunneling, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await upstream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Envoy's tcp_proxy reports an established upstream connection to outlier detection (a TLS one once its handshake is done).</summary>
    private static void RecordConnectSuccess(ClusterState cluster, EndpointState? endpoint)
    {
        if (endpoint is not null)
        {
            cluster.RecordConnectSuccess(endpoint);
        }
    }

    private async Task PumpBothWaysAsync(DownstreamStream downstream, DownstreamStream upstream, TimeSpan idleTimeout, TcpConnectionStats stats)
    {
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        var hasIdleTimeout = idleTimeout > TimeSpan.Zero;
        void Touch()
        {
            if (hasIdleTimeout)
            {
                idle.CancelAfter(idleTimeout);
            }
        }

        Touch();
        var toUpstream = CopyAsync(downstream, upstream, stats.AddReceived, Touch, idle.Token);
        var toDownstream = CopyAsync(upstream, downstream, stats.AddSent, Touch, idle.Token);
        var first = await Task.WhenAny(toUpstream, toDownstream).ConfigureAwait(false);
        if (!await first.ConfigureAwait(false))
        {
            // One direction broke (reset, idle timeout): tear the whole connection down.
            idle.Cancel();
        }

        await Task.WhenAll(toUpstream, toDownstream).ConfigureAwait(false);
    }

    /// <summary>One direction: a reader fills a pipe from <paramref name="from"/> while the pump drains it into <paramref name="to"/>.</summary>
    private static async Task<bool> CopyAsync(DownstreamStream from, DownstreamStream to, Action<long> count, Action touch, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(CopyPipe);
        var fill = FillAsync(from.Stream, pipe.Writer, cancellationToken);
        var clean = await PumpAsync(pipe.Reader, from, to, count, touch, cancellationToken).ConfigureAwait(false);
        await fill.ConfigureAwait(false);
        return clean;
    }

    /// <summary>Reads until end of stream, an error (handed to the pump through the pipe) or the pump giving up.</summary>
    private static async Task FillAsync(Stream from, PipeWriter writer, CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(writer.GetMemory(ReadSize), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                var flush = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies one direction out of its pipe; on a clean end of stream, passes the FIN on (shutdown of the send
    /// side) so the other direction can keep flowing. Returns false when the direction ended by error.
    /// </summary>
    private static async Task<bool> PumpAsync(PipeReader reader, DownstreamStream from, DownstreamStream to, Action<long> count, Action touch, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await to.Stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                }

                if (!buffer.IsEmpty)
                {
                    count(buffer.Length);
                    touch();
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    await to.ShutdownSendAsync().ConfigureAwait(false);
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            from.Abort();
            to.Abort();
            return false;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "TCP connect to {Target} (cluster {Cluster}) failed: {Error}")]
        public static partial void ConnectFailed(ILogger logger, string target, string cluster, string error);
    }
}
