using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Tcp;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Decides what each accepted connection is before any protocol code runs (Envoy's listener filters and filter
/// chain match): reads the original destination of captured connections, finds the listener they were meant for,
/// sniffs the first bytes when the choice depends on them (without consuming anything), then relays HTTP to
/// Kestrel's HTTP/1 or HTTP/2 pipeline or hands the socket to the TCP proxy.
/// </summary>
internal sealed partial class ConnectionDispatcher : IDisposable
{
    private readonly SocketConnectionContextFactory _connections;
    private readonly RelayTransport _relay;
    private readonly DataPlane _dataPlane;
    private readonly TcpProxy _tcp;
    private readonly ProxyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ConnectionDispatcher> _logger;
    private readonly Security.DownstreamTlsTerminator _downstreamTls;
    private readonly DownstreamConnections _active;
    private readonly RelayedConnections _relayed;

    public ConnectionDispatcher(RelayTransport relay, DataPlane dataPlane, TcpProxy tcp, ProxyOptions options, TimeProvider time, ILogger<ConnectionDispatcher> logger, Security.DownstreamTlsTerminator downstreamTls, DownstreamConnections active, RelayedConnections relayed)
    {
        _active = active;
        _relayed = relayed;
        _downstreamTls = downstreamTls;
        _relay = relay;
        _dataPlane = dataPlane;
        _tcp = tcp;
        _options = options;
        _time = time;
        _logger = logger;
        // Inline scheduling: Kestrel parses a request on the thread that completed the socket read, with no hop
        // through an I/O queue; the request path never blocks, so nothing waits behind it.
        _connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions { UnsafePreferInlineScheduling = true }, logger);
    }

    public async Task DispatchAsync(ProxyListener listener, Socket socket)
    {
        // Counted until the connection closes: a relayed HTTP connection tells when (its ConnectionClosed, or the
        // TLS context's close), every other outcome ends with this method.
        _active.Opened();
        var relayed = false;
        try
        {
            var snapshot = _dataPlane.Current;
            var original = listener.Kind == ListenerKind.Configured ? null : OriginalDestinationReader.Read(socket);
            var decision = await DecideAsync(listener, socket, snapshot, original).ConfigureAwait(false);
            switch (decision.Kind)
            {
                case DecisionKind.Http:
                    relayed = RelayHttp(listener, socket, original, decision.Http, decision.Sniff, InboundChainSource(listener, snapshot));
                    return;
                case DecisionKind.Tls:
                    relayed = await TerminateTlsAsync(listener, socket, original, decision, snapshot!).ConfigureAwait(false);
                    return;
                case DecisionKind.Tcp:
                    if (!await AllowsTcpAsync(listener, socket, original, snapshot, peer: null, decision.Sniff.ClientHello?.ServerName).ConfigureAwait(false))
                    {
                        socket.Dispose();
                        return;
                    }

                    await _tcp.RunAsync(socket, decision.Tcp!, snapshot!, original, listener.Direction, decision.Sniff.ClientHello?.ServerName).ConfigureAwait(false);
                    return;
                case DecisionKind.NoFilterChain:
                    Log.Refused(_logger, listener.Name, original?.ToString() ?? "-", decision.Sniff.Protocol.ToString());
                    _tcp.CloseWithoutChain(socket, original, listener.Direction);
                    return;
                default:
                    Log.Refused(_logger, listener.Name, original?.ToString() ?? "-", decision.Sniff.Protocol.ToString());
                    socket.Dispose();
                    return;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            socket.Dispose();
        }
        catch (Exception ex)
        {
            // A connection must never take the process down or leak: log what went wrong and close it.
            Log.ConnectionFailed(_logger, listener.Name, ex);
            socket.Dispose();
        }
        finally
        {
            if (!relayed)
            {
                _active.Closed();
            }
        }
    }

    public void Dispose() => _connections.Dispose();

    private enum DecisionKind
    {
        Refuse,

        /// <summary>The listener has no chain for the connection: closed, and logged as Envoy's listener logs it.</summary>
        NoFilterChain,
        Http,
        Tcp,

        /// <summary>Terminate TLS (inbound mTLS), then HTTP or TCP per the chain.</summary>
        Tls,
    }

    private readonly record struct Decision(DecisionKind Kind, SniffResult Sniff, HttpConnectionManagerConfig? Http = null, TcpProxyConfig? Tcp = null, DownstreamTlsConfig? Tls = null);

    private async ValueTask<Decision> DecideAsync(ProxyListener listener, Socket socket, DataPlaneSnapshot? snapshot, IPEndPoint? original)
    {
        // A connection dialled directly to 15001 (not redirected) is an explicit HTTP client: Host routing or proxy form.
        if (listener.Kind == ListenerKind.OutboundCapture && original is null)
        {
            var sniff = await PeekSniffer.SniffAsync(socket, DetectionTimeout(snapshot), _time).ConfigureAwait(false);
            return new Decision(sniff.IsHttp ? DecisionKind.Http : DecisionKind.Refuse, sniff);
        }

        var config = listener.Kind switch
        {
            ListenerKind.Configured => listener.Config,
            ListenerKind.InboundCapture => snapshot?.VirtualInbound,
            _ => snapshot?.FindOutboundListener(original!) ?? snapshot?.VirtualOutbound,
        };

        if (config is null)
        {
            // No config yet: Envoy would not be listening; refuse rather than guess where the connection belongs.
            return new Decision(DecisionKind.Refuse, new SniffResult(SniffedProtocol.Opaque));
        }

        SniffResult? sniffed = null;
        if (FilterChainSelector.NeedsSniffing(config, original))
        {
            sniffed = await PeekSniffer.SniffAsync(socket, DetectionTimeout(snapshot), _time).ConfigureAwait(false);
        }

        var chain = FilterChainSelector.Select(config, original, sniffed);
        var result = sniffed ?? new SniffResult(SniffedProtocol.Opaque);
        if (chain is null || chain.NotFound)
        {
            return new Decision(DecisionKind.NoFilterChain, result);
        }

        if (chain.Tls is { } tls)
        {
            return new Decision(DecisionKind.Tls, result, chain.Http, chain.Tcp, tls);
        }

        if (chain.Http is { } http)
        {
            // An HTTP-only chain (a port declared HTTP) hands every connection to the HTTP server, as Envoy's
            // connection manager takes it without inspection: what does not parse is answered 400 there, and a
            // request line the sniffer does not know (a lower-case method) reaches the handler that refuses it.
            return new Decision(DecisionKind.Http, result, Http: http);
        }

        if (chain.Tcp is { } tcp)
        {
            return new Decision(DecisionKind.Tcp, result, Tcp: tcp);
        }

        return new Decision(DecisionKind.Refuse, result);
    }

    /// <summary>Hands the connection to Kestrel; true when it took it (the connection is then counted until it closes).</summary>
    private bool RelayHttp(ProxyListener listener, Socket socket, IPEndPoint? original, HttpConnectionManagerConfig? chain, SniffResult sniff, ListenerConfig? chainSource = null)
    {
        var connection = _connections.Create(socket);
        var protocols = sniff.Protocol == SniffedProtocol.Http2 ? HttpProtocols.Http2 : HttpProtocols.Http1;
        var wire = protocols == HttpProtocols.Http1 ? new WireBytes() : null;
        var input = wire is null ? InputEndWatcher.Watch(connection) : null;
        if (wire is not null)
        {
            connection.Transport = wire.Count(connection.Transport);
        }

        var proxyConnection = new ProxyConnection(listener, original) { HttpChain = chain, Sniff = sniff, ChainSource = chainSource, WireBytes = wire, Input = input };
        connection.Items[ProxyConnection.Key] = proxyConnection;
        if (!_relay.TryRelay(connection, protocols))
        {
            _ = connection.DisposeAsync();
            return false;
        }

        var active = _active;
        var relayed = _relayed;
        relayed.Add(connection, proxyConnection);
        connection.ConnectionClosed.Register(() =>
        {
            active.Closed();
            relayed.Remove(connection.ConnectionId);
            proxyConnection.Close();
        });
        return true;
    }

    /// <summary>The inbound listener config a plaintext connection's chain comes from, to re-check it after a push.</summary>
    /// <summary>How long a silent client is waited for before its connection is server-first TCP: the flag's value, else the
    /// mesh config's <c>protocolDetectionTimeout</c>, where 0s (Istio's default) waits for its first bytes however long.</summary>
    private TimeSpan DetectionTimeout(DataPlaneSnapshot? snapshot) =>
        _options.ProtocolDetectionTimeout ?? (snapshot?.Config.Mesh.ProtocolDetectionTimeout is { } mesh && mesh > TimeSpan.Zero ? mesh : Timeout.InfiniteTimeSpan);

    /// <summary>The bound on an inbound TLS handshake and the TCP metadata exchange after it.</summary>
    private TimeSpan HandshakeTimeout => _options.ProtocolDetectionTimeout ?? TimeSpan.FromSeconds(5);

    private static ListenerConfig? InboundChainSource(ProxyListener listener, DataPlaneSnapshot? snapshot) =>
        listener.Direction != RequestDirection.Inbound ? null
        : listener.Kind == ListenerKind.InboundCapture ? snapshot?.VirtualInbound
        : listener.Config;

    private static partial class Log
    {
        [LoggerMessage(EventId = 312, Level = LogLevel.Error, Message = "Listener {Name}: connection handling failed")]
        public static partial void ConnectionFailed(ILogger logger, string name, Exception exception);

        [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Listener {Name}: no filter chain for a {Protocol} connection to {Destination}; closing it")]
        public static partial void Refused(ILogger logger, string name, string destination, string protocol);
    }
}
