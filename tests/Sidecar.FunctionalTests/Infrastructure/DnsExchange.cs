using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>A stub resolver's side of one DNS exchange, over UDP or over TCP (two-byte length prefix, RFC 1035 4.2.2).</summary>
internal static class DnsExchange
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static async Task<DnsReply> UdpAsync(IPEndPoint server, byte[] query)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server);
        await socket.SendAsync(query, SocketFlags.None);
        var buffer = new byte[65535];
        using var deadline = new CancellationTokenSource(Deadline);
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        return DnsWire.ParseReply(buffer.AsSpan(0, received));
    }

    /// <summary>Sends each query on one connection and reads each reply in turn, as a resolver using TCP does.</summary>
    public static async Task<IReadOnlyList<DnsReply>> TcpAsync(IPEndPoint server, params byte[][] queries)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server, deadline.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var replies = new List<DnsReply>();
        foreach (var query in queries)
        {
            await WriteFramedAsync(stream, query, deadline.Token);
            var message = await ReadFramedAsync(stream, deadline.Token)
                ?? throw new IOException($"{server} closed the connection before answering");
            replies.Add(DnsWire.ParseReply(message));
        }

        return replies;
    }

    public static async Task<DnsReply> TcpAsync(IPEndPoint server, byte[] query) => (await TcpAsync(server, [query]))[0];

    /// <summary>The next length-prefixed message, or null when the peer closed between messages.</summary>
    public static async Task<byte[]?> ReadFramedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var prefix = new byte[2];
        if (await stream.ReadAtLeastAsync(prefix, 2, throwOnEndOfStream: false, cancellationToken) < 2)
        {
            return null;
        }

        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(message, cancellationToken);
        return message;
    }

    public static async Task WriteFramedAsync(Stream stream, byte[] message, CancellationToken cancellationToken)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed.AsSpan(2));
        await stream.WriteAsync(framed, cancellationToken);
    }
}
