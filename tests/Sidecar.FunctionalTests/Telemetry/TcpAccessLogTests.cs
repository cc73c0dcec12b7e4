using System.Net.Sockets;
using Sidecar.FunctionalTests.Security;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// TCP connections in the access log, as Istio attaches the file access log to tcp_proxy: one line per connection,
/// with no request (<c>"- - -"</c>), response code 0, the bytes each way and the upstream cluster.
/// </summary>
public sealed class TcpAccessLogTests
{
    [Fact]
    public async Task A_proxied_tcp_connection_is_logged_when_it_closes()
    {
        using var echo = new TcpEcho();
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        await using var sidecar = await StartSidecarAsync(config, address, echo.Port);

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(address, 9090);
            await socket.SendAsync("hello"u8.ToArray());
            var buffer = new byte[5];
            var read = 0;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (read < buffer.Length)
            {
                read += await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
            }

            socket.Shutdown(SocketShutdown.Both);
        }

        await sidecar.WaitForOutputAsync("outbound|9090||echo-tcp.default.svc.cluster.local", TimeSpan.FromSeconds(15));
        var line = sidecar.Output.Split('\n').Single(l => l.Contains("outbound|9090||echo-tcp.default.svc.cluster.local", StringComparison.Ordinal));
        Assert.Contains("\"- - -\" 0 - - - \"-\" 5 5 ", line, StringComparison.Ordinal);
        Assert.Contains($"\"127.0.0.1:{echo.Port}\"", line, StringComparison.Ordinal);
        // %UPSTREAM_LOCAL_ADDRESS% (the connection to the echo server leaves from the sidecar's address), then
        // %DOWNSTREAM_LOCAL_ADDRESS%.
        Assert.Matches($" outbound\\|9090\\|\\|echo-tcp\\.default\\.svc\\.cluster\\.local {System.Text.RegularExpressions.Regex.Escape(address.ToString())}:\\d+ {System.Text.RegularExpressions.Regex.Escape(address.ToString())}:9090 ", line);
    }

    [Fact]
    public async Task A_refused_upstream_connect_is_logged_with_UF_and_its_transport_failure_reason()
    {
        // tcp_proxy's pool failure sets %UPSTREAM_TRANSPORT_FAILURE_REASON% as the HTTP router's does.
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        await using var sidecar = await StartSidecarAsync(config, address, FreePort.Get());

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(address, 9090);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            Assert.Equal(0, await socket.ReceiveAsync(new byte[1], SocketFlags.None, deadline.Token));
        }

        await sidecar.WaitForOutputAsync("outbound|9090||echo-tcp.default.svc.cluster.local", TimeSpan.FromSeconds(15));
        var line = sidecar.Output.Split('\n').Single(l => l.Contains("outbound|9090||echo-tcp.default.svc.cluster.local", StringComparison.Ordinal));
        Assert.True(line.Contains("\"- - -\" 0 UF - - \"delayed_connect_error:_111\" 0 0 ", StringComparison.Ordinal), line);
    }

    /// <summary>A sidecar whose egress listener on its own address, port 9090, proxies TCP to 127.0.0.1:<paramref name="endpointPort"/>.</summary>
    private static async Task<SidecarProcess> StartSidecarAsync(ConfigDirectory config, System.Net.IPAddress address, int endpointPort)
    {
        config.Write("mesh.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: "accessLogFile: /dev/stdout"
            """);
        config.Write("echo.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo-tcp, namespace: default}
            spec:
              hosts: [echo-tcp.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - {number: 9090, name: tcp, protocol: TCP}
              endpoints:
              - {address: 127.0.0.1, ports: {tcp: {{{endpointPort}}}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: tcpclient, namespace: default}
            spec:
              workloadSelector: {labels: {app: tcpclient}}
              egress:
              - port: {number: 9090, protocol: TCP, name: tcp}
                bind: {{{address}}}
                hosts: ["./echo-tcp.default.svc.cluster.local"]
            """);
        return await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=tcpclient"]);
    }
}
