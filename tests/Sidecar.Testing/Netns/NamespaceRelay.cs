using System.Net;
using System.Net.Sockets;

namespace Sidecar.Testing.Netns;

/// <summary>
/// A TCP relay from an address inside a network namespace to one in the test's own: how a pod reaches a server the
/// test hosts on loopback (a control plane), as a pod reaches a Service through the node. Each accepted connection is
/// piped both ways until either side closes.
/// </summary>
public sealed class NamespaceRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private NamespaceRelay(Socket listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        _accepting = AcceptAsync();
    }

    /// <summary>Listens on <paramref name="listen"/> inside <paramref name="ns"/> and relays to <paramref name="target"/>.</summary>
    public static NamespaceRelay Start(NetworkNamespace ns, IPEndPoint listen, IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var socket = ns.CreateTcpSocket();
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(listen);
        socket.Listen(64);
        return new NamespaceRelay(socket, target);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var inside = await _listener.AcceptAsync(_stop.Token);
            _ = PipeAsync(inside);
        }
    }

    private async Task PipeAsync(Socket inside)
    {
        using var outside = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using (inside)
        {
            try
            {
                await outside.ConnectAsync(_target, _stop.Token);
                using var a = new NetworkStream(inside, ownsSocket: false);
                using var b = new NetworkStream(outside, ownsSocket: false);
                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // One side went away: the other is closed with it.
            }
        }
    }
}
