using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sidecar.Proxy.Dns;

/// <summary>
/// Forwards a query the table cannot answer to the pod's nameservers, as pilot-agent's <c>queryUpstream</c> does:
/// over the transport the client used, to each nameserver in turn until one answers (or to all at once with
/// <c>DNS_FORWARD_PARALLEL</c>); the answer is relayed as it came. Each try waits 5 s (pilot-agent's upstream client timeouts). The proxy's own queries leave as uid 1337, which the
/// capture rules let through.
/// </summary>
internal sealed class DnsUpstream(DnsMetrics metrics, bool parallel)
{
    private static readonly TimeSpan TryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The first nameserver's answer, or null when none answered: each in turn, or with pilot-agent's
    /// <c>DNS_FORWARD_PARALLEL</c> all at once, the first answer winning.</summary>
    public async Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, bool tcp, IReadOnlyList<IPEndPoint> nameservers, CancellationToken cancellationToken)
    {
        metrics.UpstreamRequests.Inc();
        var started = Stopwatch.GetTimestamp();
        var answer = parallel && nameservers.Count > 1
            ? await ExchangeParallelAsync(query, tcp, nameservers, cancellationToken).ConfigureAwait(false)
            : await ExchangeInTurnAsync(query, tcp, nameservers, cancellationToken).ConfigureAwait(false);
        if (answer is null)
        {
            metrics.UpstreamFailures.Inc();
            return null;
        }

        metrics.UpstreamDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return answer;
    }

    private static async Task<byte[]?> ExchangeInTurnAsync(ReadOnlyMemory<byte> query, bool tcp, IReadOnlyList<IPEndPoint> nameservers, CancellationToken cancellationToken)
    {
        foreach (var nameserver in nameservers)
        {
            if (await TryExchangeAsync(query, tcp, nameserver, cancellationToken).ConfigureAwait(false) is { } answer)
            {
                return answer;
            }
        }

        return null;
    }

    private static async Task<byte[]?> ExchangeParallelAsync(ReadOnlyMemory<byte> query, bool tcp, IReadOnlyList<IPEndPoint> nameservers, CancellationToken cancellationToken)
    {
        using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tries = nameservers.Select(n => TryExchangeAsync(query, tcp, n, first.Token)).ToList();
        while (tries.Count > 0)
        {
            var done = await Task.WhenAny(tries).ConfigureAwait(false);
            tries.Remove(done);
            if (await done.ConfigureAwait(false) is { } answer)
            {
                // The others are not waited for.
                await first.CancelAsync().ConfigureAwait(false);
                return answer;
            }
        }

        return null;
    }

    /// <summary>One nameserver's answer, or null when it refused, was unreachable or did not answer in 5 s.</summary>
    private static async Task<byte[]?> TryExchangeAsync(ReadOnlyMemory<byte> query, bool tcp, IPEndPoint nameserver, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TryTimeout);
        try
        {
            return tcp
                ? await ExchangeTcpAsync(query, nameserver, timeout.Token).ConfigureAwait(false)
                : await ExchangeUdpAsync(query, nameserver, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Timed out, or no longer wanted (another nameserver answered first, or the proxy is stopping).
            return null;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return null;
        }
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
