using System.Net;
using System.Net.Sockets;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>A fact that listens on ::1: skipped, saying so, only where this machine has no IPv6 loopback.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Ipv6LoopbackFactAttribute : FactAttribute
{
    public Ipv6LoopbackFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (the sidecar binds its own 127.x loopback address)";
        }
        else if (!HasIpv6Loopback())
        {
            Skip = "needs an IPv6 loopback address (::1), which this machine does not have";
        }
    }

    private static bool HasIpv6Loopback()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
