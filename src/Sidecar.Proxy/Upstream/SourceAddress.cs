using System.Net;
using System.Net.Sockets;

namespace Sidecar.Proxy.Upstream;

/// <summary>Binds an outgoing socket to a source address (Envoy's <c>upstream_bind_config</c>, Istio's 127.0.0.6 for inbound).</summary>
internal static class SourceAddress
{
    // Linux's IP_BIND_ADDRESS_NO_PORT (SOL_IP, 24): the port is chosen at connect() for the whole 4-tuple. Without it
    // bind() reserves a port per socket on that address alone, so a busy inbound side (every connection from
    // 127.0.0.6, TIME_WAIT ones included) can run out of ports and fail connects with EADDRINUSE.
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;
    private static readonly byte[] Enabled = BitConverter.GetBytes(1);

    public static void Bind(Socket socket, IPAddress address)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, Enabled);
            }
            catch (SocketException)
            {
                // An older kernel: bind as before.
            }
        }

        socket.Bind(new IPEndPoint(address, 0));
    }
}
