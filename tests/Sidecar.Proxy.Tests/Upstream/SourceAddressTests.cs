using System.Net;
using System.Net.Sockets;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

public sealed class SourceAddressTests
{
    [Fact]
    public async Task The_source_port_is_chosen_at_connect_so_one_address_serves_every_destination()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var inboundSource = IPAddress.Parse("127.0.0.6");

        SourceAddress.Bind(socket, inboundSource);

        // No port reserved by bind(): the kernel picks one for the 4-tuple at connect().
        Assert.Equal(0, ((IPEndPoint)socket.LocalEndPoint!).Port);
        await socket.ConnectAsync(listener.LocalEndpoint);
        using var accepted = await listener.AcceptSocketAsync();
        var source = (IPEndPoint)accepted.RemoteEndPoint!;
        Assert.Equal(inboundSource, source.Address);
        Assert.NotEqual(0, source.Port);
    }
}
