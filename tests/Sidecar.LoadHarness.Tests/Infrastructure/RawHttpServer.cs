using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sidecar.LoadHarness.Tests.Infrastructure;

/// <summary>
/// A TCP server on 127.0.0.1, port 0, that reads HTTP/1.1 requests (head plus Content-Length body) and answers the
/// n-th request with exactly the bytes <c>respond(n)</c> returns, then closes the connection when
/// <c>closeAfter(n)</c> says so: for responses Kestrel would never write (odd framing, malformed heads).
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, byte[]> _respond;
    private readonly Func<int, bool> _closeAfter;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _requests;
    private int _connections;

    public RawHttpServer(Func<int, byte[]> respond, Func<int, bool>? closeAfter = null)
    {
        _respond = respond;
        _closeAfter = closeAfter ?? (static _ => false);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri BaseUri { get; }

    /// <summary>Each request's head as received, and its body length.</summary>
    public ConcurrentQueue<(string Head, int BodyBytes)> Requests { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[64 * 1024];
            var filled = 0;
            try
            {
                while (true)
                {
                    int headEnd;
                    while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                    {
                        var read = await socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        filled += read;
                    }

                    var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
                    var length = ContentLength(head);
                    var total = headEnd + 4 + length;
                    while (filled < total)
                    {
                        filled += await socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                    }

                    Buffer.BlockCopy(buffer, total, buffer, 0, filled - total);
                    filled -= total;
                    var index = Interlocked.Increment(ref _requests) - 1;
                    Requests.Enqueue((head, length));
                    await socket.SendAsync(_respond(index), _stop.Token);
                    if (_closeAfter(index))
                    {
                        socket.Shutdown(SocketShutdown.Both);
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
            }
        }
    }

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
