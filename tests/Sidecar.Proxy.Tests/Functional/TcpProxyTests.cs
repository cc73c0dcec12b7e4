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

    private static ProxyConfig TcpListenerConfig(int port, IPEndPoint echo, TimeSpan? idleTimeout = null, params IPEndPoint[] more)
    {
        var clusters = new[] { echo }.Concat(more).Select((e, i) => new ClusterConfig
        {
            Name = $"outbound|9000|v{i}|echo.default.svc.cluster.local",
            Endpoints = [new EndpointConfig { Address = "127.0.0.1", Port = e.Port }],
        }).ToArray();
        return new ProxyConfig
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
                FilterChains =
                [
                    new FilterChainConfig
                    {
                        Name = "tcp",
                        Tcp = new TcpProxyConfig
                        {
                            // Istio's tcp route weights: an even split over the destinations given.
                            Clusters = [.. clusters.Select(c => new WeightedClusterConfig { Cluster = c.Name, Weight = 100 / clusters.Length })],
                            IdleTimeout = idleTimeout ?? TimeSpan.FromHours(1),
                        },
                    },
                ],
            },
        ],
            Clusters = [.. clusters],
        };
    }

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

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout()
    {
        var (echo, _) = await StartEchoAsync();
        using (echo)
        {
            await using var proxy = await ProxyTestHost.StartAsync(TcpListenerConfig(19401, (IPEndPoint)echo.LocalEndPoint!, TimeSpan.FromMilliseconds(300)));
            await Wait.UntilAsync(() => CanConnect(proxy.Options.BindAddress, 19401), TimeSpan.FromSeconds(10), "the TCP listener to open");
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19401));
            using var stream = new NetworkStream(client);
            await stream.WriteAsync("x"u8.ToArray());
            var buffer = new byte[16];
            Assert.Equal(1, await stream.ReadAsync(buffer));

            // Silence both ways: the proxy closes the connection (tcp_proxy idle_timeout).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(0, read);
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Weighted_tcp_routes_split_connections()
    {
        var (first, _) = await StartEchoAsync();
        var (second, _) = await StartEchoAsync();
        using (first)
        using (second)
        {
            await using var proxy = await ProxyTestHost.StartAsync(TcpListenerConfig(19402, (IPEndPoint)first.LocalEndPoint!, null, (IPEndPoint)second.LocalEndPoint!));
            await Wait.UntilAsync(() => CanConnect(proxy.Options.BindAddress, 19402), TimeSpan.FromSeconds(10), "the TCP listener to open");
            for (var i = 0; i < 60; i++)
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19402));
                using var stream = new NetworkStream(client);
                await stream.WriteAsync("x"u8.ToArray());
                client.Shutdown(SocketShutdown.Send);
                using var reader = new StreamReader(stream);
                Assert.Equal("x\nbye\n", await reader.ReadToEndAsync());
            }

            var plane = (DataPlane)proxy.Services.GetService(typeof(DataPlane))!;
            var counts = plane.Current!.Clusters.Values.Where(c => c.Name.StartsWith("outbound|9000|v", StringComparison.Ordinal)).Select(c => c.Endpoints.All.Single().RequestsTotal).ToArray();
            // Binomial(60, 0.5) per destination (the readiness probes add a couple): both get a fair share.
            Assert.All(counts, count => Assert.InRange(count, 12, 52));
        }
    }

    [Fact]
    public async Task An_unreachable_upstream_closes_the_connection()
    {
        await using var proxy = await ProxyTestHost.StartAsync(TcpListenerConfig(19403, new IPEndPoint(IPAddress.Loopback, FreePort.Get())));
        await Wait.UntilAsync(() => CanConnect(proxy.Options.BindAddress, 19403), TimeSpan.FromSeconds(10), "the TCP listener to open");
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19403));
        using var stream = new NetworkStream(client);

        // Envoy's tcp_proxy closes the downstream when the upstream connect fails (flag UF).
        var read = await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, read);
    }

    [Fact]
    public async Task A_connection_over_the_clusters_maxConnections_is_closed_and_counted_as_an_overflow()
    {
        // DestinationRule connectionPool.tcp.maxConnections: Envoy's tcp_proxy checks the max_connections breaker
        // before connecting; over it the downstream connection is closed, flag UO, upstream_cx_overflow.
        var (echo, _) = await StartEchoAsync();
        using (echo)
        {
            var config = TcpListenerConfig(19404, (IPEndPoint)echo.LocalEndPoint!);
            config = config with { Clusters = [config.Clusters[0] with { CircuitBreakers = new CircuitBreakersConfig { MaxConnections = 1 } }] };
            await using var proxy = await ProxyTestHost.StartAsync(config);
            await Wait.UntilAsync(() => CanConnect(proxy.Options.BindAddress, 19404), TimeSpan.FromSeconds(10), "the TCP listener to open");
            var cluster = ((DataPlane)proxy.Services.GetService(typeof(DataPlane))!).Current!.Clusters.Values.Single();
            // The probe that found the listener open was proxied too: it has reached the echo server and closed.
            await Wait.UntilAsync(() => cluster.Endpoints.All[0].RequestsTotal >= 1 && cluster.ActiveTcpConnections == 0, TimeSpan.FromSeconds(10), "the readiness probe's connection to close");
            var overflowsBefore = cluster.ConnectionOverflows;

            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await first.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19404));
            using var firstStream = new NetworkStream(first);
            await firstStream.WriteAsync("a"u8.ToArray());
            Assert.Equal(1, await firstStream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

            using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await second.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19404));
            using var secondStream = new NetworkStream(second);
            Assert.Equal(0, await secondStream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(overflowsBefore + 1, cluster.ConnectionOverflows);

            // The first connection closes: the next one is admitted.
            first.Shutdown(SocketShutdown.Send);
            await Wait.UntilAsync(() => cluster.ActiveTcpConnections == 0, TimeSpan.FromSeconds(10), "the first connection to close");
            using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await third.ConnectAsync(new IPEndPoint(proxy.Options.BindAddress, 19404));
            using var thirdStream = new NetworkStream(third);
            await thirdStream.WriteAsync("c"u8.ToArray());
            Assert.Equal(1, await thirdStream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
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
