using System.Net;
using System.Net.Sockets;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Security;
using Sidecar.Proxy.Upstream.ProxyProtocol;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Builds a cluster's connection pool: one <see cref="SocketsHttpHandler"/> per cluster (Envoy keeps a pool per
/// cluster and host), with the cluster's connect timeout, idle timeout, connection lifetime, requests per HTTP/1.1
/// connection, streams per HTTP/2 connection, connection limit, source address, TCP keepalive and PROXY protocol header. Proxy semantics: no
/// redirects, cookies, decompression or system proxy.
/// </summary>
internal static class UpstreamConnectionFactory
{
    public static HttpMessageInvoker CreateInvoker(ClusterConfig cluster, UpstreamTlsOriginator? tls = null, Func<ClusterConfig>? current = null, IPAddress? loopbackSource = null, Func<DnsEndPoint, EndpointState?>? hostOf = null, ProxyProtocolPreamble? proxyProtocol = null) =>
        new(CreateHandler(cluster, tls, current, loopbackSource, hostOf, proxyProtocol), disposeHandler: true);

    /// <param name="cluster">The cluster's connection settings.</param>
    /// <param name="tls">Originates TLS when the cluster or endpoint asks for it; null for plaintext only.</param>
    /// <param name="current">The cluster's latest config (endpoints change without a new pool); defaults to <paramref name="cluster"/>.</param>
    /// <param name="loopbackSource">The source of connections to loopback endpoints (<see cref="SourceAddress.For"/>).</param>
    /// <param name="hostOf">The cluster's host a connection goes to, which counts it open while it lives.</param>
    /// <param name="proxyProtocol">The PROXY protocol header each connection starts with; null for none.</param>
    public static SocketsHttpHandler CreateHandler(ClusterConfig cluster, UpstreamTlsOriginator? tls = null, Func<ClusterConfig>? current = null, IPAddress? loopbackSource = null, Func<DnsEndPoint, EndpointState?>? hostOf = null, ProxyProtocolPreamble? proxyProtocol = null)
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
            // Envoy's 60 KiB header limit holds for responses too: more is an upstream protocol error (502 UPE).
            MaxResponseHeadersLength = 60,
            // Header values travel as the bytes they arrived as, obs-text (0x80-0xFF) included, as Envoy passes them:
            // Latin-1 maps each byte to one char and back (HttpClient would refuse a non-ASCII request header).
            RequestHeaderEncodingSelector = HeaderValueEncoding.UpstreamRequest,
            ResponseHeaderEncodingSelector = HeaderValueEncoding.UpstreamResponse,
        };

        if (cluster.MaxConnectionDuration is { } lifetime)
        {
            // Istio's tcp.maxConnectionDuration: a connection older than this takes no new request and is closed.
            handler.PooledConnectionLifetime = lifetime;
        }

        if (cluster.CircuitBreakers.MaxConnections < CircuitBreakersConfig.Unlimited)
        {
            handler.MaxConnectionsPerServer = (int)Math.Clamp(cluster.CircuitBreakers.MaxConnections, 1, int.MaxValue);
        }

        var bind = cluster.UpstreamBindAddress is { } text && IPAddress.TryParse(text, out var address) ? address : null;
        var keepalive = cluster.TcpKeepalive;
        Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect = tls is null
            ? (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, SourceAddress.For(bind, loopbackSource, context.DnsEndPoint.Host), keepalive, IsHttp1(context), hostOf?.Invoke(context.DnsEndPoint), proxyProtocol, cancellationToken)
            : (context, cancellationToken) => ConnectTlsAsync(context, current?.Invoke() ?? cluster, tls, SourceAddress.For(bind, loopbackSource, context.DnsEndPoint.Host), keepalive, hostOf?.Invoke(context.DnsEndPoint), proxyProtocol, cancellationToken);
        handler.ConnectCallback = cluster.MaxRequestsPerConnection is { } maxRequests && cluster.HttpProtocol != UpstreamHttpProtocol.Http2
            ? async (context, cancellationToken) => context.InitialRequestMessage.Version.Major >= 2
                ? await connect(context, cancellationToken).ConfigureAwait(false)
                : new RequestLimitedConnectionStream(await connect(context, cancellationToken).ConfigureAwait(false), maxRequests)
            : cluster.MaxConcurrentStreams is > 0 and var maxStreams && cluster.HttpProtocol == UpstreamHttpProtocol.Http2
                ? async (context, cancellationToken) => new Http2StreamLimit(await connect(context, cancellationToken).ConfigureAwait(false), (uint)maxStreams)
                : connect;
        return handler;
    }

    /// <summary>Connects, then (mTLS toward a sidecar, or DestinationRule TLS) runs the TLS handshake with the ALPN
    /// Istio offers for the request's HTTP version; the pool then speaks plain HTTP over the TLS stream.</summary>
    private static async ValueTask<Stream> ConnectTlsAsync(SocketsHttpConnectionContext context, ClusterConfig cluster, UpstreamTlsOriginator tls, IPAddress? bind, TcpKeepaliveConfig? keepalive, EndpointState? host, ProxyProtocolPreamble? proxyProtocol, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var stream = await ConnectAsync(endpoint, bind, keepalive, IsHttp1(context), host, proxyProtocol, cancellationToken).ConfigureAwait(false);
        var settings = host is not null ? tls.SettingsFor(cluster, host.Config) : tls.SettingsFor(cluster, endpoint.Host, endpoint.Port);
        if (settings is null)
        {
            return stream;
        }

        var alpn = settings.Mode == UpstreamTlsMode.IstioMutual ? IstioAlpn.ForHttpVersion(context.InitialRequestMessage.Version) : null;
        return await tls.AuthenticateAsync(stream, settings, TlsNameFor(context, settings), alpn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The name the handshake sends as SNI and checks the certificate against when the rule gives no <c>sni</c>:
    /// for SIMPLE and MUTUAL, Istio sets Envoy's <c>auto_sni</c> and <c>auto_san_validation</c>, which take the
    /// request's host without its port (an IP address is not a server name); otherwise the endpoint's address.
    /// </summary>
    /// <remarks>A pooled connection keeps the name of the request that opened it. Envoy keys its pool by that name,
    /// which differs only when one cluster's requests carry different hosts.</remarks>
    internal static string TlsNameFor(SocketsHttpConnectionContext context, UpstreamTlsConfig settings)
    {
        if (settings.Sni is null && settings.Mode is UpstreamTlsMode.Simple or UpstreamTlsMode.Mutual
            && context.InitialRequestMessage.Headers.Host is { Length: > 0 } authority)
        {
            var colon = Http.AuthorityPort.SeparatorOf(authority);
            var host = colon > 0 ? authority[..colon] : authority;
            if (!IPAddress.TryParse(host.Trim('[', ']'), out _))
            {
                return host;
            }
        }

        return context.DnsEndPoint.Host;
    }

    /// <summary>
    /// Opens the upstream connection as a stream (for the HTTP connection pool), counted open on
    /// <paramref name="host"/>: TCP, or the host's unix domain socket, its PROXY protocol header sent first; an HTTP/1
    /// TCP one records its local end into the requests written on it (<see cref="UpstreamLocalAddress"/>).
    /// </summary>
    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, IPAddress? bind, TcpKeepaliveConfig? keepalive, bool http1, EndpointState? host, ProxyProtocolPreamble? proxyProtocol, CancellationToken cancellationToken)
    {
        var unix = host?.UnixSocket;
        var socket = unix is not null
            ? await ConnectUnixSocketAsync(unix, cancellationToken).ConfigureAwait(false)
            : await ConnectSocketAsync(endpoint, bind, keepalive, cancellationToken).ConfigureAwait(false);
        if (proxyProtocol is not null)
        {
            try
            {
                await proxyProtocol.WriteAsync(socket, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        return new UpstreamConnectionStream(socket, host, recordsLocalAddress: unix is null && http1);
    }

    /// <summary>Connects to a unix domain socket endpoint (Envoy's pipe): no source address, keepalive or Nagle to set.</summary>
    public static async ValueTask<Socket> ConnectUnixSocketAsync(UnixDomainSocketEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Whether the pool opens this connection for HTTP/1 (the version it asks for; TLS may still negotiate down).</summary>
    private static bool IsHttp1(SocketsHttpConnectionContext context) => context.InitialRequestMessage.Version.Major < 2;

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
                SourceAddress.Bind(socket, bind);
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
