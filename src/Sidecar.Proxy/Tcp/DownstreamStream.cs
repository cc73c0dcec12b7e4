using System.Net.Security;
using System.Net.Sockets;

namespace Sidecar.Proxy.Tcp;

/// <summary>
/// One end of a proxied TCP connection: a plain socket, or a TLS stream over one (inbound mTLS terminated, or
/// upstream mTLS originated). Half-close sends TLS close_notify before the FIN, so the far side sees a clean end.
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

    public Socket Socket { get; }

    public Stream Stream { get; }

    public bool IsTls => _tls is not null;

    /// <summary>Passes a clean end of stream on: close_notify (TLS), then FIN.</summary>
    public async ValueTask ShutdownSendAsync()
    {
        try
        {
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
