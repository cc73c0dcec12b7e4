using System.Net;
using System.Net.Sockets;

namespace Sidecar.Proxy.Upstream;

/// <summary>Binds an outgoing socket to a source address (Envoy's <c>upstream_bind_config</c>, Istio's 127.0.0.6 for inbound).</summary>
internal static class SourceAddress
{
    /// <summary>
    /// The source of a connection to <paramref name="destination"/>: the cluster's own bind address, else, for a
    /// loopback destination, the sidecar's loopback address (<paramref name="loopback"/>: sidecars that share a machine
    /// on distinct 127.x addresses, as pods share a network, reach each other from their own addresses, so the callee's
    /// <c>source.ip</c>, <c>ipBlocks</c> and access log see the caller's); null leaves the choice to the kernel.
    /// </summary>
    public static IPAddress? For(IPAddress? configured, IPAddress? loopback, string destination) =>
        configured ?? (loopback is not null && IPAddress.TryParse(destination, out var address) && IPAddress.IsLoopback(address)
            && address.AddressFamily == loopback.AddressFamily ? loopback : null);

    /// <summary>The sidecar's own address as the source for loopback destinations: a loopback address other than
    /// 127.0.0.1 (the kernel's own choice); null for any other bind address (a pod's 0.0.0.0).</summary>
    public static IPAddress? LoopbackSourceFor(IPAddress bind) =>
        IPAddress.IsLoopback(bind) && !bind.Equals(IPAddress.Loopback) && !bind.Equals(IPAddress.IPv6Loopback) ? bind : null;

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
