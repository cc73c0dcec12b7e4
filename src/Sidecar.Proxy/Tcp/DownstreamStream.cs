using System.Net.Security;
using System.Net.Sockets;

namespace Sidecar.Proxy.Tcp;

/// <summary>
/// One end of a proxied TCP connection: a plain socket, or a TLS stream over one (inbound mTLS terminated, or
/// upstream mTLS originated), and on the upstream side perhaps an HTTP tunnel inside it (Istio's <c>tunnel</c>).
/// Half-close sends TLS close_notify before the FIN, so the far side sees a clean end; a POST tunnel's is its last chunk.
/// </summary>
internal sealed class DownstreamStream : IAsyncDisposable
{
    private readonly SslStream? _tls;

    public DownstreamStream(Socket socket)
    {
        Socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: false);
    }

    public DownstreamStream(SslStream tls, Socket socket)
    {
        _tls = tls;
        Socket = socket;
        Stream = tls;
    }

    private DownstreamStream(Stream tunnel, Socket socket, SslStream? tls)
    {
        _tls = tls;
        Socket = socket;
        Stream = tunnel;
    }

    /// <summary>The same connection, its bytes carried inside <paramref name="tunnel"/> (an HTTP tunnel opened on it).</summary>
    public DownstreamStream Through(Stream tunnel) => new(tunnel, Socket, _tls);

    public Socket Socket { get; }

    public Stream Stream { get; }

    public bool IsTls => _tls is not null;

    /// <summary>Passes a clean end of stream on: close_notify (TLS), then FIN.</summary>
    public async ValueTask ShutdownSendAsync()
    {
        try
        {
            if (Stream is Tunneling.ChunkedTunnelStream post)
            {
                // The request ends with its last chunk; the connection stays open for the rest of the response.
                await post.EndAsync().ConfigureAwait(false);
                return;
            }

            if (_tls is not null)
            {
                await _tls.ShutdownAsync().ConfigureAwait(false);
            }

            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    /// <summary>Tears the connection down both ways (reset or idle timeout).</summary>
    public void Abort()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            await _tls.DisposeAsync().ConfigureAwait(false);
        }

        Socket.Dispose();
    }
}
