using System.Buffers.Binary;

namespace Sidecar.Proxy.Dns;

/// <summary>DNS over TCP: each message after its two-byte length (RFC 1035 4.2.2).</summary>
internal static class DnsTcpFraming
{
    /// <summary>The next message, or null when the peer closed the connection between messages.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var prefix = new byte[2];
        var read = await stream.ReadAtLeastAsync(prefix, 2, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < 2)
        {
            return null;
        }

        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
        return message;
    }

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed.AsMemory(2));
        // One write, so the length and the message leave in one segment.
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
    }
}
