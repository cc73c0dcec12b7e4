using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sidecar.Testing;

/// <summary>
/// An HTTP/1.1 upstream on loopback that answers every request with the same bytes, written as given, and records
/// each request's head as it arrived (Latin-1, one char per byte): for what Kestrel would not send or would not
/// receive (an invalid header, a byte outside ASCII).
/// </summary>
public sealed class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly byte[] _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private RawUpstream(byte[] response)
    {
        _response = response;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The request heads received, each line ending with CRLF (the blank line after them left out).</summary>
    public ConcurrentQueue<string> Heads { get; } = new();

    public string Address => IPAddress.Loopback.ToString();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts an upstream answering <paramref name="response"/>, a whole HTTP/1.1 response in Latin-1.</summary>
    public static RawUpstream Start(string response) => new(Encoding.Latin1.GetBytes(response));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[8192];
            var head = new StringBuilder();
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                head.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }

            var text = head.ToString();
            Heads.Enqueue(text[..(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 2)]);
            await socket.SendAsync(_response, SocketFlags.None, _stop.Token);
            socket.Shutdown(SocketShutdown.Both);
        }
    }
}
