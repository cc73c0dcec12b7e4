using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Sidecar.Model;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Decides what each accepted connection is before any protocol code runs: records the listener (and, when
/// captured, the original destination), sniffs the first bytes without consuming them, picks the filter chain, and
/// relays HTTP to Kestrel's HTTP/1 or HTTP/2 pipeline.
/// </summary>
internal sealed partial class ConnectionDispatcher : IDisposable
{
    private readonly SocketConnectionContextFactory _connections;
    private readonly RelayTransport _relay;
    private readonly DataPlane _dataPlane;
    private readonly ILogger<ConnectionDispatcher> _logger;
    private readonly TimeSpan _sniffTimeout;

    public ConnectionDispatcher(RelayTransport relay, DataPlane dataPlane, ProxyOptions options, ILogger<ConnectionDispatcher> logger)
    {
        _relay = relay;
        _dataPlane = dataPlane;
        _logger = logger;
        _sniffTimeout = options.ProtocolDetectionTimeout;
        _connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), logger);
    }

    public async Task DispatchAsync(ProxyListener listener, Socket socket)
    {
        ConnectionContext connection;
        try
        {
            connection = _connections.Create(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return;
        }

        var record = new ProxyConnection(listener, originalDestination: null);
        connection.Items[ProxyConnection.Key] = record;

        try
        {
            var protocol = await SniffAsync(connection).ConfigureAwait(false);
            if (listener.Kind == ListenerKind.Configured && listener.Config is { } config)
            {
                var chain = SelectChain(config, protocol);
                if (chain?.Http is { } http && protocol is SniffedProtocol.Http1 or SniffedProtocol.Http2)
                {
                    record.HttpChain = http;
                    Relay(connection, protocol);
                    return;
                }

                Log.NoFilterChain(_logger, listener.Name, protocol.ToString());
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }

            if (protocol is SniffedProtocol.Http1 or SniffedProtocol.Http2)
            {
                Relay(connection, protocol);
                return;
            }

            Log.NotHttp(_logger, listener.Name, protocol.ToString());
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ConnectionResetException or OperationCanceledException or ObjectDisposedException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _connections.Dispose();

    /// <summary>The first chain whose match accepts the sniffed transport and protocol (Envoy's filter_chain_match).</summary>
    internal static FilterChainConfig? SelectChain(ListenerConfig listener, SniffedProtocol protocol)
    {
        var transport = protocol == SniffedProtocol.Tls ? "tls" : "raw_buffer";
        var alpn = protocol switch
        {
            SniffedProtocol.Http1 => "http/1.1",
            SniffedProtocol.Http2 => "h2c",
            _ => null,
        };

        foreach (var chain in listener.FilterChains)
        {
            var match = chain.Match;
            if (match.TransportProtocol is { } wanted && wanted != transport)
            {
                continue;
            }

            if (!match.ApplicationProtocols.IsEmpty && (alpn is null || !match.ApplicationProtocols.AsSpan().Contains(alpn)))
            {
                continue;
            }

            return chain;
        }

        return listener.DefaultFilterChain;
    }

    private void Relay(ConnectionContext connection, SniffedProtocol protocol)
    {
        var protocols = protocol == SniffedProtocol.Http2 ? HttpProtocols.Http2 : HttpProtocols.Http1;
        if (!_relay.TryRelay(connection, protocols))
        {
            _ = connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Reads until the protocol is known, leaving every byte unconsumed for whoever handles the connection next
    /// (Kestrel's pattern: examine, then advance to the start). Silence past the detection timeout means a
    /// server-first protocol: opaque TCP.
    /// </summary>
    private async ValueTask<SniffedProtocol> SniffAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(_sniffTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return SniffedProtocol.Opaque;
            }

            var buffer = result.Buffer;
            var protocol = ProtocolSniffer.Sniff(buffer);
            if (protocol == SniffedProtocol.NeedMore && !result.IsCompleted && !result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            input.AdvanceTo(buffer.Start, buffer.Start);
            return protocol == SniffedProtocol.NeedMore ? SniffedProtocol.Opaque : protocol;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Listener {Name}: no filter chain for a {Protocol} connection; closing it")]
        public static partial void NoFilterChain(ILogger logger, string name, string protocol);

        [LoggerMessage(EventId = 311, Level = LogLevel.Debug, Message = "Listener {Name}: closing a {Protocol} connection (only HTTP is served here)")]
        public static partial void NotHttp(ILogger logger, string name, string protocol);
    }
}
