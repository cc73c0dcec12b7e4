using System.Net;
using System.Net.Sockets;
using Sidecar.Model;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Builds a cluster's connection pool: one <see cref="SocketsHttpHandler"/> per cluster (Envoy keeps a pool per
/// cluster and host), with the cluster's connect timeout, idle timeout, connection limit, source address and TCP
/// keepalive. Proxy semantics: no redirects, cookies, decompression or system proxy.
/// </summary>
internal static class UpstreamConnectionFactory
{
    public static HttpMessageInvoker CreateInvoker(ClusterConfig cluster) => new(CreateHandler(cluster), disposeHandler: true);

    public static SocketsHttpHandler CreateHandler(ClusterConfig cluster)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            ConnectTimeout = cluster.ConnectTimeout,
            PooledConnectionIdleTimeout = cluster.IdleTimeout,
            MaxResponseHeadersLength = 96,
        };

        if (cluster.CircuitBreakers.MaxConnections < CircuitBreakersConfig.Unlimited)
        {
            handler.MaxConnectionsPerServer = (int)Math.Clamp(cluster.CircuitBreakers.MaxConnections, 1, int.MaxValue);
        }

        var bind = cluster.UpstreamBindAddress is { } text && IPAddress.TryParse(text, out var address) ? address : null;
        var keepalive = cluster.TcpKeepalive;
        handler.ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, bind, keepalive, cancellationToken);
        return handler;
    }

    /// <summary>Opens the upstream TCP connection as a stream (for the HTTP connection pool).</summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, IPAddress? bind, TcpKeepaliveConfig? keepalive, CancellationToken cancellationToken) =>
        new NetworkStream(await ConnectSocketAsync(endpoint, bind, keepalive, cancellationToken).ConfigureAwait(false), ownsSocket: true);

    /// <summary>Opens the upstream TCP connection: NODELAY like Envoy, the cluster's source address and keepalive.</summary>
    public static async ValueTask<Socket> ConnectSocketAsync(DnsEndPoint endpoint, IPAddress? bind, TcpKeepaliveConfig? keepalive, CancellationToken cancellationToken)
    {
        var target = IPAddress.TryParse(endpoint.Host, out var ip) ? (EndPoint)new IPEndPoint(ip, endpoint.Port) : endpoint;
        var family = ip?.AddressFamily ?? AddressFamily.InterNetworkV6;
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (family == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = true;
        }

        try
        {
            if (bind is not null && bind.AddressFamily == family)
            {
                socket.Bind(new IPEndPoint(bind, 0));
            }

            if (keepalive is not null)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                if (keepalive.Time is { } time)
                {
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Max(1, time.TotalSeconds));
                }

                if (keepalive.Interval is { } interval)
                {
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)Math.Max(1, interval.TotalSeconds));
                }

                if (keepalive.Probes is { } probes)
                {
                    socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, probes);
                }
            }

            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
