using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sidecar.Model;

namespace Sidecar.Proxy.Upstream.ProxyProtocol;

/// <summary>
/// Encodes the PROXY protocol header (HAProxy's proxy-protocol.txt) as Envoy's upstream proxy protocol transport
/// socket writes it: version 1 as <c>PROXY TCP4 src dst sport dport\r\n</c>, version 2 as the binary PROXY command
/// over TCP, and, where no client addresses exist, version 2's LOCAL command (version 1's <c>UNKNOWN</c>).
/// </summary>
/// <remarks>Written by hand: no package served here writes it, and it is a few dozen bytes.</remarks>
internal static class ProxyProtocolHeader
{
    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The header for a connection made for the client at <paramref name="source"/>, which had connected to <paramref name="destination"/>.</summary>
    public static byte[] For(ProxyProtocolVersion version, IPEndPoint source, IPEndPoint destination)
    {
        var (src, dst) = SameFamily(source.Address, destination.Address);
        return version == ProxyProtocolVersion.V1
            ? V1(src, dst, source.Port, destination.Port)
            : V2(src, dst, source.Port, destination.Port);
    }

    /// <summary>
    /// The header of a connection made for no client (a mirror's shadow, the sidecar's own calls): Envoy's version 1
    /// then names the upstream connection's own ends, its version 2 sends the LOCAL command.
    /// </summary>
    public static byte[] WithoutClient(ProxyProtocolVersion version, EndPoint? upstreamLocal, EndPoint? upstreamRemote)
    {
        if (version == ProxyProtocolVersion.V2)
        {
            var local = new byte[V2Signature.Length + 4];
            V2Signature.CopyTo(local);
            local[12] = 0x20; // version 2, LOCAL
            return local;
        }

        return upstreamLocal is IPEndPoint from && upstreamRemote is IPEndPoint to
            ? For(version, from, to)
            : "PROXY UNKNOWN\r\n"u8.ToArray();
    }

    private static byte[] V1(IPAddress source, IPAddress destination, int sourcePort, int destinationPort)
    {
        var family = source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes($"PROXY {family} {Text(source)} {Text(destination)} {sourcePort} {destinationPort}\r\n");
    }

    private static byte[] V2(IPAddress source, IPAddress destination, int sourcePort, int destinationPort)
    {
        var ipv4 = source.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 4 : 16;
        var header = new byte[V2Signature.Length + 4 + (2 * addressLength) + 4];
        V2Signature.CopyTo(header);
        header[12] = 0x21; // version 2, PROXY
        header[13] = ipv4 ? (byte)0x11 : (byte)0x21; // AF_INET or AF_INET6, over STREAM
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)((2 * addressLength) + 4));
        var at = 16;
        source.TryWriteBytes(header.AsSpan(at, addressLength), out _);
        at += addressLength;
        destination.TryWriteBytes(header.AsSpan(at, addressLength), out _);
        at += addressLength;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(at), (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(at + 2), (ushort)destinationPort);
        return header;
    }

    /// <summary>
    /// Both addresses in one family, as a TCP connection's two ends are: a dual-stack socket reports an IPv4 client as
    /// <c>::ffff:a.b.c.d</c>, which the header carries as the IPv4 address it is.
    /// </summary>
    private static (IPAddress Source, IPAddress Destination) SameFamily(IPAddress source, IPAddress destination)
    {
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        if (destination.IsIPv4MappedToIPv6)
        {
            destination = destination.MapToIPv4();
        }

        if (source.AddressFamily != destination.AddressFamily)
        {
            source = source.MapToIPv6();
            destination = destination.MapToIPv6();
        }

        return (source, destination);
    }

    /// <summary>The address as the header's text carries it: no IPv6 scope.</summary>
    private static string Text(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes()).ToString()
            : address.ToString();
}
