using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tcp;

/// <summary>
/// Envoy's tcp_proxy: picks a cluster (weighted, Istio's <c>tcp</c>/<c>tls</c> routes) and an endpoint, connects
/// within the cluster's connect timeout, then copies bytes both ways until both sides have finished. Half-close is
/// honoured (a client's FIN is passed on while the server's reply still flows back), an idle connection is closed
/// after the chain's idle timeout, and byte counts are kept for telemetry.
/// </summary>
internal sealed partial class TcpProxy
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(minimumReadSize: 16 * 1024, leaveOpen: true);
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger<TcpProxy> _logger;

    public TcpProxy(TimeProvider time, ILogger<TcpProxy> logger)
    {
        _time = time;
        _random = Random.Shared;
        _logger = logger;
    }

    /// <summary>Raised when a proxied connection is established upstream.</summary>
    public event Action<TcpConnectionStats>? ConnectionOpened;

    /// <summary>Raised when a proxied connection ends (also when it never reached upstream).</summary>
    public event Action<TcpConnectionStats>? ConnectionClosed;

    /// <summary>Proxies <paramref name="downstream"/> per <paramref name="route"/>; returns when both directions are done.</summary>
    public async Task RunAsync(Socket downstream, TcpProxyConfig route, DataPlaneSnapshot snapshot, IPEndPoint? originalDestination, RequestDirection direction)
    {
        var clusterName = PickCluster(route);
        var cluster = snapshot.Clusters.GetValueOrDefault(clusterName);
        var stats = new TcpConnectionStats(clusterName, cluster, direction);
        Socket? upstream = null;
        EndpointState? endpoint = null;
        try
        {
            (upstream, endpoint) = await ConnectAsync(downstream, cluster, originalDestination, stats).ConfigureAwait(false);
            if (upstream is null)
            {
                return;
            }

            ConnectionOpened?.Invoke(stats);
            await PumpBothWaysAsync(downstream, upstream, route.IdleTimeout, stats).ConfigureAwait(false);
        }
        finally
        {
            endpoint?.EndRequest(error: stats.Flags != ResponseFlags.None, connectFailure: (stats.Flags & ResponseFlags.UpstreamConnectionFailure) != 0);
            upstream?.Dispose();
            downstream.Dispose();
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

    private async Task<(Socket? Upstream, EndpointState? Endpoint)> ConnectAsync(Socket downstream, ClusterState? cluster, IPEndPoint? originalDestination, TcpConnectionStats stats)
    {
        if (cluster is null)
        {
            stats.Flags |= ResponseFlags.NoClusterFound;
            return (null, null);
        }

        IPEndPoint target;
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
            if (endpoint is null || !IPAddress.TryParse(endpoint.Address, out var address))
            {
                stats.Flags |= ResponseFlags.NoHealthyUpstream;
                return (null, null);
            }

            target = new IPEndPoint(address, endpoint.Port);
            endpoint.BeginRequest();
        }

        stats.UpstreamHost = target.ToString();
        using var timeout = new CancellationTokenSource(cluster.Config.ConnectTimeout, _time);
        try
        {
            var bind = cluster.Config.UpstreamBindAddress is { } text && IPAddress.TryParse(text, out var b) ? b : null;
            var socket = await UpstreamConnectionFactory.ConnectSocketAsync(new DnsEndPoint(target.Address.ToString(), target.Port), bind, cluster.Config.TcpKeepalive, timeout.Token).ConfigureAwait(false);
            return (socket, endpoint);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            stats.Flags |= ResponseFlags.UpstreamConnectionFailure;
            if (endpoint is not null)
            {
                cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
            }

            Log.ConnectFailed(_logger, target.ToString(), cluster.Name, ex.Message);
            return (null, endpoint);
        }
    }

    private async Task PumpBothWaysAsync(Socket downstream, Socket upstream, TimeSpan idleTimeout, TcpConnectionStats stats)
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
        // Both readers exist before either direction can half-close: .NET marks a socket disconnected on Shutdown,
        // and a stream cannot be opened over it afterwards (reading through an open one still works).
        var fromDownstream = PipeReader.Create(new NetworkStream(downstream, ownsSocket: false), ReaderOptions);
        var fromUpstream = PipeReader.Create(new NetworkStream(upstream, ownsSocket: false), ReaderOptions);
        var toUpstream = PumpAsync(fromDownstream, downstream, upstream, stats.AddReceived, Touch, idle.Token);
        var toDownstream = PumpAsync(fromUpstream, upstream, downstream, stats.AddSent, Touch, idle.Token);
        var first = await Task.WhenAny(toUpstream, toDownstream).ConfigureAwait(false);
        if (!await first.ConfigureAwait(false))
        {
            // One direction broke (reset, idle timeout): tear the whole connection down.
            idle.Cancel();
        }

        await Task.WhenAll(toUpstream, toDownstream).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies one direction through a pipe reader; on a clean end of stream, passes the FIN on (shutdown of the send
    /// side) so the other direction can keep flowing. Returns false when the direction ended by error.
    /// </summary>
    private static async Task<bool> PumpAsync(PipeReader reader, Socket from, Socket to, Action<long> count, Action touch, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    var sent = 0;
                    while (sent < segment.Length)
                    {
                        sent += await to.SendAsync(segment[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (!buffer.IsEmpty)
                {
                    count(buffer.Length);
                    touch();
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    try
                    {
                        to.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }

                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            try
            {
                from.Shutdown(SocketShutdown.Both);
                to.Shutdown(SocketShutdown.Both);
            }
            catch (Exception shutdown) when (shutdown is SocketException or ObjectDisposedException)
            {
            }

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
