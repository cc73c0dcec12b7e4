using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Sidecar.Init.PodFacts;

/// <summary>
/// Decides whether the pod is IPv6 from its addresses, as istio-iptables' getLocalIP does: the first address that is
/// neither loopback nor link-local wins; with dual stack, any such IPv6 address makes the pod IPv6.
/// </summary>
internal static class PodAddresses
{
    /// <summary>Unicast addresses of every interface, in interface order.</summary>
    public static IReadOnlyList<IPAddress> FromInterfaces()
    {
        var addresses = new List<IPAddress>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                addresses.Add(unicast.Address);
            }
        }
        return addresses;
    }

    /// <summary>The pod address that decides, and whether the pod is IPv6; null when there is no usable address.</summary>
    public static (IPAddress HostIp, bool IsIPv6)? Select(IEnumerable<IPAddress> addresses, bool dualStack)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        IPAddress? first = null;
        var isIPv6 = false;
        foreach (var candidate in addresses)
        {
            var address = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            if (IPAddress.IsLoopback(address) || IsLinkLocal(address))
            {
                continue;
            }
            isIPv6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            first ??= address;
            if (!dualStack)
            {
                return (address, isIPv6);
            }
            if (isIPv6)
            {
                break;
            }
        }
        return first is null ? null : (first, isIPv6);
    }

    private static bool IsLinkLocal(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // fe80::/10 unicast and ff02::/16 link-local multicast.
            return address.IsIPv6LinkLocal || (address.IsIPv6Multicast && (address.GetAddressBytes()[1] & 0x0f) == 0x02);
        }
        var bytes = address.GetAddressBytes();
        // 169.254.0.0/16 unicast and 224.0.0.0/24 link-local multicast.
        return (bytes[0] == 169 && bytes[1] == 254) || (bytes[0] == 224 && bytes[1] == 0 && bytes[2] == 0);
    }
}
