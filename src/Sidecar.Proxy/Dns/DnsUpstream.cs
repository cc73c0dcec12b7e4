using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sidecar.Proxy.Dns;

/// <summary>
/// Forwards a query the table cannot answer to the pod's nameservers, as pilot-agent's <c>queryUpstream</c> does:
/// over the transport the client used, to each nameserver in turn until one answers; the answer is relayed as it
/// came. Each try waits 5 s (pilot-agent's upstream client timeouts). The proxy's own queries leave as uid 1337, which the
/// capture rules let through.
/// </summary>
internal sealed class DnsUpstream(DnsMetrics metrics)
{
    private static readonly TimeSpan TryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The first nameserver's answer, or null when none answered.</summary>
    public async Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, bool tcp, IReadOnlyList<IPEndPoint> nameservers, CancellationToken cancellationToken)
    {
        metrics.UpstreamRequests.Inc();
        var started = Stopwatch.GetTimestamp();
        foreach (var nameserver in nameservers)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TryTimeout);
            try
            {
                var answer = tcp
                    ? await ExchangeTcpAsync(query, nameserver, timeout.Token).ConfigureAwait(false)
                    : await ExchangeUdpAsync(query, nameserver, timeout.Token).ConfigureAwait(false);
                metrics.UpstreamDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                return answer;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Timed out: the next nameserver.
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                // Refused or unreachable: the next nameserver.
            }
        }

        metrics.UpstreamFailures.Inc();
        return null;
    }

    private static async Task<byte[]> ExchangeUdpAsync(ReadOnlyMemory<byte> query, IPEndPoint nameserver, CancellationToken cancellationToken)
    {
        using var socket = new Socket(nameserver.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(nameserver, cancellationToken).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        var id = BinaryPrimitives.ReadUInt16BigEndian(query.Span);
        var buffer = ArrayPool<byte>.Shared.Rent(DnsResponseWriter.MaxMessageSize);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                // A datagram for another query (a late answer to an earlier try) is not this one's answer.
                if (received >= DnsQuery.HeaderLength && BinaryPrimitives.ReadUInt16BigEndian(buffer) == id)
                {
                    return buffer.AsSpan(0, received).ToArray();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<byte[]> ExchangeTcpAsync(ReadOnlyMemory<byte> query, IPEndPoint nameserver, CancellationToken cancellationToken)
    {
        using var socket = new Socket(nameserver.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(nameserver, cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await DnsTcpFraming.WriteAsync(stream, query, cancellationToken).ConfigureAwait(false);
        return await DnsTcpFraming.ReadAsync(stream, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"{nameserver} closed the connection without an answer");
    }
}
