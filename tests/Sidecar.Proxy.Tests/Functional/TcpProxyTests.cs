using System.Net;
using System.Net.Sockets;
using System.Text;
using Sidecar.Model;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Envoy's tcp_proxy on a listener the config binds (a Sidecar egress/ingress port).</summary>
public sealed class TcpProxyTests
{
    private static async Task<(Socket Listener, Task Serve)> StartEchoAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var serve = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using var stream = new NetworkStream(connection, ownsSocket: true);
                    var buffer = new byte[1024];
                    int read;
                    while ((read = await stream.ReadAsync(buffer)) > 0)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, read));
                    }

                    // The client's FIN came through; the reply still flows the other way before we close.
                    await stream.WriteAsync("\nbye\n"u8.ToArray());
                    connection.Shutdown(SocketShutdown.Send);
                });
            }
        });
        await Task.Yield();
        return (listener, serve);
    }

    private static ProxyConfig TcpListenerConfig(int port, IPEndPoint echo) => new()
    {
        Version = "tcp",
        Origin = new ConfigOrigin("test", "memory", DateTimeOffset.UtcNow),
        Listeners =
        [
            new ListenerConfig
            {
                Name = $"0.0.0.0_{port}",
                Port = port,
                BindToPort = true,
                FilterChains = [new FilterChainConfig { Name = "tcp", Tcp = new TcpProxyConfig { Clusters = [new WeightedClusterConfig { Cluster = "outbound|9000||echo.default.svc.cluster.local" }] } }],
            },
        ],
        Clusters = [new ClusterConfig { Name = "outbound|9000||echo.default.svc.cluster.local", Endpoints = [new EndpointConfig { Address = "127.0.0.1", Port = echo.Port }] }],
    };

    [Fact]
    public async Task Bytes_flow_both_ways_and_a_half_close_is_passed_on()
    {
        var (echo, serve) = await StartEchoAsync();
        using (echo)
        {
            await using var proxy = await ProxyTestHost.StartAsync(TcpListenerConfig(19400, (IPEndPoint)echo.LocalEndPoint!));
            await Wait.UntilAsync(() => CanConnect(proxy.Options.BindAddress, 19400), TimeSpan.FromSeconds(10), "the TCP listener to open");

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19400));
            using var stream = new NetworkStream(client);
            await stream.WriteAsync("ping"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, Encoding.UTF8);

            Assert.Equal("ping\nbye\n", await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    private static bool CanConnect(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
