using System.Buffers;
using System.Net.Sockets;

namespace Sidecar.Proxy.Listeners;

/// <summary>What sniffing found on a connection.</summary>
internal readonly record struct SniffResult(SniffedProtocol Protocol, TlsClientHello? ClientHello = null)
{
    public bool IsHttp => Protocol is SniffedProtocol.Http1 or SniffedProtocol.Http2;

    /// <summary>The ALPN value Envoy's filter chain match sees: TLS offers, or http/1.1 / h2c from the HTTP inspector.</summary>
    public IReadOnlyList<string> ApplicationProtocols => Protocol switch
    {
        SniffedProtocol.Http1 => ["http/1.1"],
        SniffedProtocol.Http2 => ["h2c"],
        SniffedProtocol.Tls => ClientHello?.ApplicationProtocols ?? [],
        _ => [],
    };
}

/// <summary>
/// Inspects a connection's first bytes with MSG_PEEK, so nothing is consumed: whoever handles the connection next
/// (Kestrel, or the TCP proxy) reads it from the first byte. When the bytes so far are not enough to decide, it peeks
/// again as more arrive; a client that sends nothing within the detection timeout is server-first: opaque TCP.
/// </summary>
internal static class PeekSniffer
{
    private const int InitialBuffer = 4096;

    public static async ValueTask<SniffResult> SniffAsync(Socket socket, TimeSpan timeout, TimeProvider time)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        using var deadline = new CancellationTokenSource(timeout, time);
        try
        {
            var wait = TimeSpan.FromMilliseconds(1);
            while (true)
            {
                int peeked;
                try
                {
                    peeked = await socket.ReceiveAsync(buffer, SocketFlags.Peek, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new SniffResult(SniffedProtocol.Opaque);
                }

                if (peeked == 0)
                {
                    return new SniffResult(SniffedProtocol.Opaque);
                }

                var data = new ReadOnlySequence<byte>(buffer, 0, peeked);
                var protocol = ProtocolSniffer.Sniff(data);
                if (protocol == SniffedProtocol.Tls)
                {
                    switch (TlsClientHello.TryParse(data, out var hello))
                    {
                        case SniffedProtocol.Tls:
                            return new SniffResult(SniffedProtocol.Tls, hello);
                        case SniffedProtocol.NeedMore:
                            protocol = SniffedProtocol.NeedMore;
                            break;
                        default:
                            // A TLS record that is not a parseable ClientHello: still TLS, without SNI or ALPN.
                            return new SniffResult(SniffedProtocol.Tls, new TlsClientHello(null, []));
                    }
                }

                if (protocol != SniffedProtocol.NeedMore)
                {
                    return new SniffResult(protocol);
                }

                if (peeked == buffer.Length)
                {
                    if (buffer.Length >= TlsClientHello.MaxClientHelloSize)
                    {
                        return new SniffResult(SniffedProtocol.Opaque);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 4);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }

                // Peeking again returns at once with the same bytes: give the rest of the client's first flight time to arrive.
                try
                {
                    await Task.Delay(wait, time, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new SniffResult(SniffedProtocol.Opaque);
                }

                wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 20));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
