using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Reads where a REDIRECTed connection was going: <c>getsockopt(SOL_IP, SO_ORIGINAL_DST)</c> for IPv4 and
/// <c>getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)</c> for IPv6, as Envoy's original_dst listener filter does.
/// A connection that was not redirected reports its own local address (or no conntrack entry at all).
/// </summary>
internal static class OriginalDestinationReader
{
    private const int SolIp = 0;
    private const int SolIpv6 = 41;
    private const int SoOriginalDst = 80;
    private const int Ip6tSoOriginalDst = 80;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    /// <summary>The original destination, or null when the connection was dialled directly (not redirected).</summary>
    public static IPEndPoint? Read(Socket socket)
    {
        var local = socket.LocalEndPoint as IPEndPoint;
        var original = TryGet(socket, local?.AddressFamily ?? socket.AddressFamily);
        if (original is null || local is null)
        {
            return null;
        }

        // Not redirected: the "original" destination is the listener itself.
        return original.Port == local.Port && Normalize(original.Address).Equals(Normalize(local.Address)) ? null : original;
    }

    private static IPEndPoint? TryGet(Socket socket, AddressFamily family)
    {
        Span<byte> buffer = stackalloc byte[28];
        try
        {
            var mapped = family == AddressFamily.InterNetworkV6 && socket.LocalEndPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true };
            var length = family == AddressFamily.InterNetworkV6 && !mapped
                ? socket.GetRawSocketOption(SolIpv6, Ip6tSoOriginalDst, buffer)
                : socket.GetRawSocketOption(SolIp, SoOriginalDst, buffer);
            return Parse(buffer[..length]);
        }
        catch (SocketException)
        {
            // ENOENT / ENOPROTOOPT: no NAT entry for this connection (or no conntrack): not captured.
            return null;
        }
    }

    /// <summary>Decodes a <c>sockaddr_in</c> or <c>sockaddr_in6</c> (family in host order, port in network order).</summary>
    internal static IPEndPoint? Parse(ReadOnlySpan<byte> sockaddr)
    {
        if (sockaddr.Length < 8)
        {
            return null;
        }

        var family = BitConverter.ToUInt16(sockaddr);
        var port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        return family switch
        {
            AfInet => new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), port),
            AfInet6 when sockaddr.Length >= 24 => new IPEndPoint(new IPAddress(sockaddr.Slice(8, 16)), port),
            _ => null,
        };
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
