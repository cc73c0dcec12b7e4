using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>
/// An HTTP/1.1 forward proxy that opens tunnels, as a squid or an Envoy terminating Istio's <c>tunnel</c> would: a
/// <c>CONNECT host:port</c> request, answered 200, then raw bytes both ways; or a POST whose chunked body is the
/// stream to the target its <c>host</c> header names, relayed back as a chunked response body. It records each request
/// head, and refuses a target it was not told to allow with 403.
/// </summary>
internal sealed class TunnelProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly string _allowedTarget;
    private readonly List<string> _requests = [];
    private readonly CancellationTokenSource _stop = new();

    public TunnelProxy(IPAddress address, string allowedTarget)
    {
        _allowedTarget = allowedTarget;
        _listener = new TcpListener(address, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The request heads received (request line and headers, CRLF-separated).</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            var stream = new NetworkStream(client, ownsSocket: false);
            var (head, rest) = await ReadHeadAsync(stream);
            lock (_requests)
            {
                _requests.Add(head);
            }

            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            var host = lines.Skip(1).FirstOrDefault(l => l.StartsWith("host:", StringComparison.OrdinalIgnoreCase))?[5..].Trim();
            var target = requestLine[0] == "CONNECT" ? requestLine[1] : host;
            if (target != _allowedTarget)
            {
                await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n"u8.ToArray());
                return;
            }

            var separator = target.LastIndexOf(':');
            using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await upstream.ConnectAsync(IPAddress.Parse(target[..separator]), int.Parse(target[(separator + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            var toTarget = new NetworkStream(upstream, ownsSocket: false);
            if (requestLine[0] == "CONNECT")
            {
                await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray());
                await toTarget.WriteAsync(rest);
                await Task.WhenAll(CopyThenShutdownAsync(stream, upstream), CopyThenShutdownAsync(toTarget, client));
                return;
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"u8.ToArray());
            await Task.WhenAll(DechunkAsync(new PrefixReader(rest, stream), toTarget, upstream), ChunkAsync(toTarget, stream));
        }
    }

    private static async Task<(string Head, byte[] Remainder)> ReadHeadAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("closed before the request head ended");
            }

            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
            {
                return (Encoding.ASCII.GetString([.. buffer], 0, buffer.Count - 4), []);
            }
        }
    }

    private static async Task CopyThenShutdownAsync(Stream from, Socket to)
    {
        var buffer = new byte[8192];
        int read;
        try
        {
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read));
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The request's chunked body to the target, the target's end of stream after the last chunk.</summary>
    private static async Task DechunkAsync(PrefixReader from, Stream to, Socket target)
    {
        try
        {
            while (true)
            {
                var size = Convert.ToInt32(await from.ReadLineAsync(), 16);
                if (size == 0)
                {
                    await from.ReadLineAsync();
                    target.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.WriteAsync(await from.ReadExactlyAsync(size));
                await from.ReadLineAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The target's bytes as chunks of the response, its last chunk when the target ends.</summary>
    private static async Task ChunkAsync(Stream from, Stream to)
    {
        var buffer = new byte[8192];
        int read;
        try
        {
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                await to.WriteAsync(Encoding.ASCII.GetBytes($"{read:x}\r\n"));
                await to.WriteAsync(buffer.AsMemory(0, read));
                await to.WriteAsync("\r\n"u8.ToArray());
            }

            await to.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads lines and exact counts from a stream, starting with bytes already read.</summary>
    private sealed class PrefixReader(byte[] prefix, Stream stream)
    {
        private readonly Queue<byte> _pending = new(prefix);

        public async Task<string> ReadLineAsync()
        {
            var line = new StringBuilder();
            while (true)
            {
                var next = await ReadByteAsync();
                if (next == '\r')
                {
                    await ReadByteAsync();
                    return line.ToString();
                }

                line.Append((char)next);
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count)
        {
            var bytes = new byte[count];
            for (var i = 0; i < count; i++)
            {
                bytes[i] = await ReadByteAsync();
            }

            return bytes;
        }

        private async Task<byte> ReadByteAsync()
        {
            if (_pending.Count > 0)
            {
                return _pending.Dequeue();
            }

            var one = new byte[1];
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("closed inside the chunked body");
            }

            return one[0];
        }
    }
}
