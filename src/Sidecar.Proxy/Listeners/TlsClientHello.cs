using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Envoy's tls_inspector: reads the SNI and ALPN offers from a TLS ClientHello without terminating TLS, so a TLS
/// connection can be routed by server name (Istio's <c>tls</c> routes, <c>sniHosts</c>) and passed through.
/// </summary>
internal readonly record struct TlsClientHello(string? ServerName, string[] ApplicationProtocols)
{
    /// <summary>Envoy's tls_inspector reads at most 64 KiB of ClientHello.</summary>
    public const int MaxClientHelloSize = 64 * 1024;

    private const byte HandshakeRecord = 22;
    private const byte ClientHelloType = 1;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    /// <summary>Parses the ClientHello; NeedMore when the handshake is not all here yet.</summary>
    public static SniffedProtocol TryParse(in ReadOnlySequence<byte> data, out TlsClientHello hello)
    {
        hello = default;
        if (data.Length < 5)
        {
            return SniffedProtocol.NeedMore;
        }

        // The ClientHello may span several records: gather handshake fragments until the message is complete.
        var handshake = new ArrayBufferWriter<byte>();
        var reader = new SequenceReader<byte>(data);
        while (true)
        {
            if (reader.Remaining < 5)
            {
                return data.Length > MaxClientHelloSize ? SniffedProtocol.Opaque : SniffedProtocol.NeedMore;
            }

            reader.TryRead(out var type);
            reader.Advance(2);
            reader.TryReadBigEndian(out short recordLength);
            if (type != HandshakeRecord || recordLength <= 0)
            {
                return SniffedProtocol.Opaque;
            }

            if (reader.Remaining < recordLength)
            {
                return data.Length > MaxClientHelloSize ? SniffedProtocol.Opaque : SniffedProtocol.NeedMore;
            }

            var fragment = reader.UnreadSequence.Slice(0, recordLength);
            foreach (var segment in fragment)
            {
                handshake.Write(segment.Span);
            }

            reader.Advance(recordLength);
            var written = handshake.WrittenSpan;
            if (written.Length >= 4)
            {
                var messageLength = (written[1] << 16) | (written[2] << 8) | written[3];
                if (written[0] != ClientHelloType)
                {
                    return SniffedProtocol.Opaque;
                }

                if (written.Length >= 4 + messageLength)
                {
                    return Parse(written.Slice(4, messageLength), out hello) ? SniffedProtocol.Tls : SniffedProtocol.Opaque;
                }
            }
        }
    }

    private static bool Parse(ReadOnlySpan<byte> body, out TlsClientHello hello)
    {
        hello = new TlsClientHello(null, []);
        // version(2) random(32)
        var offset = 34;
        if (!Skip8(body, ref offset) || !Skip16(body, ref offset) || !Skip8(body, ref offset))
        {
            // session id, cipher suites, compression methods
            return false;
        }

        if (offset == body.Length)
        {
            return true;
        }

        if (offset + 2 > body.Length)
        {
            return false;
        }

        var extensionsEnd = offset + 2 + BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
        offset += 2;
        if (extensionsEnd > body.Length)
        {
            return false;
        }

        string? serverName = null;
        var alpn = new List<string>();
        while (offset + 4 <= extensionsEnd)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(body[(offset + 2)..]);
            offset += 4;
            if (offset + length > extensionsEnd)
            {
                return false;
            }

            var extension = body.Slice(offset, length);
            if (type == ServerNameExtension && extension.Length >= 5)
            {
                // server_name_list: length(2), then entries of type(1) length(2) name; type 0 is host_name.
                var nameLength = BinaryPrimitives.ReadUInt16BigEndian(extension[3..]);
                if (extension[2] == 0 && 5 + nameLength <= extension.Length)
                {
                    serverName = Encoding.ASCII.GetString(extension.Slice(5, nameLength)).ToLowerInvariant();
                }
            }
            else if (type == AlpnExtension && extension.Length >= 2)
            {
                var listEnd = 2 + BinaryPrimitives.ReadUInt16BigEndian(extension);
                for (var i = 2; i < listEnd && i < extension.Length;)
                {
                    var protocolLength = extension[i];
                    if (i + 1 + protocolLength > extension.Length)
                    {
                        break;
                    }

                    alpn.Add(Encoding.ASCII.GetString(extension.Slice(i + 1, protocolLength)));
                    i += 1 + protocolLength;
                }
            }

            offset += length;
        }

        hello = new TlsClientHello(serverName, [.. alpn]);
        return true;
    }

    private static bool Skip8(ReadOnlySpan<byte> body, ref int offset)
    {
        if (offset >= body.Length)
        {
            return false;
        }

        offset += 1 + body[offset];
        return offset <= body.Length;
    }

    private static bool Skip16(ReadOnlySpan<byte> body, ref int offset)
    {
        if (offset + 2 > body.Length)
        {
            return false;
        }

        offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
        return offset <= body.Length;
    }
}
