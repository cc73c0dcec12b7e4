using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Kestrel's transport for <see cref="RelayEndPoint"/>s: connections accepted and sniffed by the sidecar's own
/// listeners are queued here and handed to Kestrel's HTTP/1 or HTTP/2 pipeline. Other endpoints (admin, health,
/// metrics) use Kestrel's socket transport as usual.
/// </summary>
internal sealed class RelayTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Channel<ConnectionContext> _http1 = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Channel<ConnectionContext> _http2 = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });

    public bool CanBind(EndPoint endpoint) => endpoint is RelayEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var relay = (RelayEndPoint)endpoint;
        return ValueTask.FromResult<IConnectionListener>(new Listener(relay, relay.Protocols == HttpProtocols.Http2 ? _http2 : _http1));
    }

    /// <summary>Hands a connection (nothing consumed from its input) to Kestrel's pipeline for <paramref name="protocols"/>.</summary>
    public bool TryRelay(ConnectionContext connection, HttpProtocols protocols) =>
        (protocols == HttpProtocols.Http2 ? _http2 : _http1).Writer.TryWrite(connection);

    private sealed class Listener : IConnectionListener
    {
        private readonly Channel<ConnectionContext> _queue;
        private readonly CancellationTokenSource _unbound = new();

        public Listener(EndPoint endpoint, Channel<ConnectionContext> queue)
        {
            EndPoint = endpoint;
            _queue = queue;
        }

        public EndPoint EndPoint { get; }

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
            try
            {
                return await _queue.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound.Cancel();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _unbound.Cancel();
            _unbound.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
