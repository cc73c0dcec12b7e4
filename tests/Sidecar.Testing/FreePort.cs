using System.Net;
using System.Net.Sockets;

namespace Sidecar.Testing;

/// <summary>A TCP port nothing listens on (bound and released), for "connection refused" cases.</summary>
public static class FreePort
{
    public static int Get()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
