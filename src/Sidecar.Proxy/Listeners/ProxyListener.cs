using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sidecar.Model;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// One listening socket of the data plane (a capture port or a configured listener): accepts connections and
/// hands each to the <see cref="ConnectionDispatcher"/>. Closing it stops accepting; connections already accepted
/// run to completion.
/// </summary>
internal sealed partial class ProxyListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly ConnectionDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;

    private ProxyListener(string name, ListenerKind kind, ListenerConfig? config, Socket socket, ConnectionDispatcher dispatcher, ILogger logger)
    {
        Name = name;
        Kind = kind;
        Config = config;
        _socket = socket;
        _dispatcher = dispatcher;
        _logger = logger;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public string Name { get; }

    public ListenerKind Kind { get; }

    /// <summary>The configured listener this socket serves, or null for the capture listeners.</summary>
    public ListenerConfig? Config { get; }

    /// <summary>Which side of the workload the listener's connections are: inbound capture and inbound listeners, else outbound.</summary>
    public Http.RequestDirection Direction =>
        Kind == ListenerKind.InboundCapture || Config?.Direction == TrafficDirection.Inbound ? Http.RequestDirection.Inbound : Http.RequestDirection.Outbound;

    /// <summary>The bound address and port (the actual port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Binds <paramref name="endpoint"/> and starts accepting.</summary>
    public static ProxyListener Start(string name, ListenerKind kind, ListenerConfig? config, IPEndPoint endpoint, ConnectionDispatcher dispatcher, ILogger logger)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(1024);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var listener = new ProxyListener(name, kind, config, socket, dispatcher, logger);
        listener._acceptLoop = listener.AcceptLoopAsync();
        Log.Listening(logger, name, listener.EndPoint.ToString());
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Log.AcceptFailed(_logger, Name, ex.SocketErrorCode.ToString());
                continue;
            }

            accepted.NoDelay = true;
            _ = _dispatcher.DispatchAsync(this, accepted);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Listener {Name} listening on {EndPoint}")]
        public static partial void Listening(ILogger logger, string name, string endPoint);

        [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Listener {Name} failed to accept a connection: {Error}")]
        public static partial void AcceptFailed(ILogger logger, string name, string error);
    }
}
