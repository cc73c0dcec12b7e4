using System.Buffers.Binary;
using System.Text;

namespace Sidecar.Proxy.Tests.Listeners;

/// <summary>A minimal TLS 1.2-style ClientHello record with SNI and ALPN extensions, for inspector tests.</summary>
internal static class TlsClientHelloBuilder
{
    public static byte[] Build(string serverName, params string[] alpn)
    {
        var name = Encoding.ASCII.GetBytes(serverName);
        var sni = new List<byte>();
        sni.AddRange(U16(name.Length + 3));
        sni.Add(0);
        sni.AddRange(U16(name.Length));
        sni.AddRange(name);

        var protocols = new List<byte>();
        foreach (var p in alpn)
        {
            protocols.Add((byte)p.Length);
            protocols.AddRange(Encoding.ASCII.GetBytes(p));
        }

        var alpnBody = new List<byte>();
        alpnBody.AddRange(U16(protocols.Count));
        alpnBody.AddRange(protocols);

        var extensions = new List<byte>();
        extensions.AddRange(U16(0));
        extensions.AddRange(U16(sni.Count));
        extensions.AddRange(sni);
        extensions.AddRange(U16(16));
        extensions.AddRange(U16(alpnBody.Count));
        extensions.AddRange(alpnBody);

        var body = new List<byte> { 0x03, 0x03 };
        body.AddRange(new byte[32]);
        body.Add(0);
        body.AddRange(U16(2));
        body.AddRange([0x13, 0x01]);
        body.Add(1);
        body.Add(0);
        body.AddRange(U16(extensions.Count));
        body.AddRange(extensions);

        var handshake = new List<byte> { 1, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count };
        handshake.AddRange(body);
        var record = new List<byte> { 22, 3, 1 };
        record.AddRange(U16(handshake.Count));
        record.AddRange(handshake);
        return [.. record];
    }

    private static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }
}
