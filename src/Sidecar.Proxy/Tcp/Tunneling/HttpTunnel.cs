using System.Buffers;
using System.Text;
using Sidecar.Model;

namespace Sidecar.Proxy.Tcp.Tunneling;

/// <summary>
/// Envoy's tcp_proxy tunneling over HTTP/1.1 (Istio's DestinationRule <c>tunnel</c>): on the connection to the
/// cluster's endpoint (an HTTP proxy) the sidecar sends <c>CONNECT host:port</c>, or a POST whose body is the stream,
/// and carries the TCP stream once the proxy answers 2xx.
/// </summary>
/// <remarks>Written by hand: .NET's HttpClient speaks CONNECT only to its own configured proxy, not as a stream.</remarks>
internal static class HttpTunnel
{
    // Envoy's default limit on a response's headers (60 KiB).
    private const int MaxResponseHead = 60 * 1024;

    /// <summary>Opens the tunnel over <paramref name="upstream"/>; returns the stream to carry the TCP bytes on.</summary>
    /// <exception cref="HttpTunnelException">The proxy refused (not 2xx), or its answer was not HTTP.</exception>
    public static async ValueTask<Stream> OpenAsync(Stream upstream, TcpTunnelingConfig tunnel, CancellationToken cancellationToken)
    {
        var request = tunnel.UsePost
            ? $"POST {tunnel.PostPath} HTTP/1.1\r\nhost: {tunnel.Hostname}\r\ntransfer-encoding: chunked\r\n\r\n"
            : $"CONNECT {tunnel.Hostname} HTTP/1.1\r\nhost: {tunnel.Hostname}\r\n\r\n";
        await upstream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);
        await upstream.FlushAsync(cancellationToken).ConfigureAwait(false);

        var (head, rest) = await ReadResponseHeadAsync(upstream, cancellationToken).ConfigureAwait(false);
        var statusLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
        {
            throw new HttpTunnelException($"the tunnel proxy answered with no HTTP status line: {statusLine}");
        }

        if (status is < 200 or > 299)
        {
            throw new HttpTunnelException($"the tunnel proxy answered {status}");
        }

        // A POST's response body is the stream; a CONNECT's bytes after the head are already the stream's.
        return tunnel.UsePost
            ? new ChunkedTunnelStream(upstream, rest, chunkedResponse: head.Contains("\r\ntransfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
            : new PrefixedStream(upstream, rest);
    }

    /// <summary>Reads up to the end of the response's headers; the bytes read past it are returned with it.</summary>
    private static async ValueTask<(string Head, byte[] Remainder)> ReadResponseHeadAsync(Stream upstream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var filled = 0;
        try
        {
            while (true)
            {
                var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
                if (end >= 0)
                {
                    var head = Encoding.ASCII.GetString(buffer, 0, end + 2);
                    return (head, buffer.AsSpan(end + 4, filled - end - 4).ToArray());
                }

                if (filled == buffer.Length)
                {
                    if (filled >= MaxResponseHead)
                    {
                        throw new HttpTunnelException("the tunnel proxy's response headers are too large");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await upstream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new HttpTunnelException("the tunnel proxy closed the connection before answering");
                }

                filled += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
