using System.Net;
using System.Net.Sockets;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.FunctionalTests.Security;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// DestinationRule <c>trafficPolicy.tunnel</c>: istiod sets Envoy's tcp_proxy <c>tunneling_config</c> on the TCP
/// chain to the rule's host (an HTTP proxy), so the connection reaches <c>targetHost:targetPort</c> inside an HTTP/1.1
/// CONNECT request, or a POST one whose chunked body carries the stream.
/// </summary>
public sealed class TunnelTests
{
    [Theory]
    [InlineData("CONNECT")]
    [InlineData("POST")]
    public async Task A_tcp_connection_reaches_the_target_through_the_proxy_the_rule_names(string protocol)
    {
        using var echo = new TcpEcho();
        var target = $"127.0.0.1:{echo.Port}";
        using var proxy = new TunnelProxy(IPAddress.Loopback, target);
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        config.Write("tunnel.yaml", Config(address, proxy.Port, $"{{protocol: {protocol}, targetHost: 127.0.0.1, targetPort: {echo.Port}}}"));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=tunneler"]);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, 3128);
        var message = "through the tunnel"u8.ToArray();
        await socket.SendAsync(message);
        var echoed = new byte[message.Length];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        for (var read = 0; read < echoed.Length;)
        {
            var n = await socket.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, deadline.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(message, echoed);
        var head = Assert.Single(proxy.Requests);
        Assert.Equal(protocol == "CONNECT"
            ? $"CONNECT {target} HTTP/1.1\r\nhost: {target}"
            : $"POST / HTTP/1.1\r\nhost: {target}\r\ntransfer-encoding: chunked", head);

        // The client's end of stream travels on (the last chunk, for POST) and the echo's end comes back.
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None, deadline.Token));
    }

    [Fact]
    public async Task A_proxy_that_refuses_the_tunnel_closes_the_connection_as_an_upstream_connect_failure()
    {
        using var echo = new TcpEcho();
        using var proxy = new TunnelProxy(IPAddress.Loopback, allowedTarget: "127.0.0.1:1");
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        config.Write("mesh.yaml", MeshYaml.MeshConfig("accessLogFile: /dev/stdout"));
        config.Write("tunnel.yaml", Config(address, proxy.Port, $"{{targetHost: 127.0.0.1, targetPort: {echo.Port}}}"));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=tunneler"]);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, 3128);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None, deadline.Token));
        Assert.StartsWith("CONNECT ", Assert.Single(proxy.Requests), StringComparison.Ordinal);

        await sidecar.WaitForOutputAsync("outbound|3128||forward-proxy.example.com", TimeSpan.FromSeconds(15));
        Assert.Contains(sidecar.Output.Split('\n'), line => line.Contains("outbound|3128||forward-proxy.example.com", StringComparison.Ordinal) && line.Contains("\"- - -\" 0 UF ", StringComparison.Ordinal));
    }

    /// <summary>The forward proxy as a ServiceEntry, a DestinationRule tunnelling through it, and an egress listener for it.</summary>
    private static string Config(IPAddress sidecar, int proxyPort, string tunnel) => $$$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: forward-proxy, namespace: default}
        spec:
          hosts: [forward-proxy.example.com]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 3128, name: tcp, protocol: TCP, targetPort: {{{proxyPort}}} }]
          endpoints: [{address: 127.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: forward-proxy, namespace: default}
        spec:
          host: forward-proxy.example.com
          trafficPolicy:
            tunnel: {{{tunnel}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: tunneler, namespace: default}
        spec:
          workloadSelector: {labels: {app: tunneler} }
          egress:
          - port: {number: 3128, protocol: TCP, name: tcp}
            bind: {{{sidecar}}}
            hosts: ["./forward-proxy.example.com"]
        """;
}
