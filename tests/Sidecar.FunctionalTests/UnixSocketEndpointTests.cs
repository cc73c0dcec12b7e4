using System.Net;
using System.Net.Sockets;
using Sidecar.FunctionalTests.Security;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Unix domain socket endpoints (Envoy's pipe addresses), as Istio configures them: a ServiceEntry endpoint
/// <c>unix:///path</c> (or <c>unix://@name</c>, Linux's abstract namespace) with <c>resolution: STATIC</c>, and a Sidecar
/// ingress listener's <c>defaultEndpoint: unix:///path</c>. The sidecar connects to the socket for HTTP and TCP alike,
/// and names the host by its path, as Envoy does in <c>/clusters</c> and <c>%UPSTREAM_HOST%</c>.
/// </summary>
public sealed class UnixSocketEndpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sidecar-uds-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_ServiceEntry_unix_socket_endpoint_receives_its_HTTP_requests_with_the_authority_as_sent()
    {
        var socket = Path.Combine(_directory, "app.sock");
        await using var app = await TestBackend.StartAsync("uds-app", unixSocketPath: socket);
        using var config = new ConfigDirectory();
        WriteAccessLogMesh(config);
        config.Write("se.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: unix-domain-socket-example, namespace: default}
            spec:
              hosts: [example.unix.local]
              location: MESH_EXTERNAL
              ports: [{number: 8001, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: "unix://{{socket}}"}]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, LoopbackAddresses.Next());

        using var first = await sidecar.SendAsync("example.unix.local:8001", "/hello");
        using var second = await sidecar.SendAsync("example.unix.local:8001", "/again");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("uds-app", await first.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(["/hello", "/again"], app.Received.Select(r => r.Path));
        Assert.All(app.Received, r => Assert.Equal("example.unix.local:8001", r.Host));
        // The host is named by its path; both requests went over one pooled connection to it.
        using var admin = new HttpClient();
        var clusters = await admin.GetStringAsync($"{sidecar.AdminUrl}/clusters");
        Assert.Contains($"outbound|8001||example.unix.local::{socket}::rq_total::2\n", clusters, StringComparison.Ordinal);
        Assert.Contains($"outbound|8001||example.unix.local::{socket}::cx_total::1\n", clusters, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync($"{sidecar.AdminUrl}/clusters?format=json"));
        var host = json.RootElement.GetProperty("cluster_statuses").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "outbound|8001||example.unix.local").GetProperty("host_statuses")[0];
        Assert.Equal(socket, host.GetProperty("address").GetProperty("pipe").GetProperty("path").GetString());
        await sidecar.WaitForOutputAsync("\"GET /again HTTP/1.1\" 200", TimeSpan.FromSeconds(15));
        var line = sidecar.Output.Split('\n').Single(l => l.Contains("\"GET /again HTTP/1.1\" 200", StringComparison.Ordinal));
        Assert.Contains($"\"{socket}\" outbound|8001||example.unix.local ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_unix_socket_nothing_listens_on_is_a_connect_failure_503_UF()
    {
        var socket = Path.Combine(_directory, "missing.sock");
        using var config = new ConfigDirectory();
        WriteAccessLogMesh(config);
        config.Write("se.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: gone, namespace: default}
            spec:
              hosts: [gone.unix.local]
              ports: [{number: 8001, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: "unix://{{socket}}"}]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, LoopbackAddresses.Next());

        using var response = await sidecar.SendAsync("gone.unix.local:8001", "/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        await sidecar.WaitForOutputAsync("\"GET / HTTP/1.1\" 503", TimeSpan.FromSeconds(15));
        // Istio's default retry policy retries connect-failure: the attempts all failed (UF, URX).
        Assert.Contains("\"GET / HTTP/1.1\" 503 UF,URX ", sidecar.Output, StringComparison.Ordinal);
        Assert.True(sidecar.Output.Contains($"\"{socket}\" outbound|8001||gone.unix.local ", StringComparison.Ordinal), sidecar.Output);
    }

    [Fact]
    public async Task A_TCP_port_whose_endpoint_is_an_abstract_unix_socket_is_proxied_to_it()
    {
        var name = $"sidecar-uds-{Guid.NewGuid():N}";
        using var echo = new TcpEcho(new UnixDomainSocketEndPoint("\0" + name));
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        config.Write("echo.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo-uds, namespace: default}
            spec:
              hosts: [echo.unix.local]
              ports: [{number: 9090, name: tcp, protocol: TCP}]
              resolution: STATIC
              endpoints: [{address: "unix://@{{{name}}}"}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: tcpclient, namespace: default}
            spec:
              workloadSelector: {labels: {app: tcpclient}}
              egress:
              - port: {number: 9090, protocol: TCP, name: tcp}
                bind: {{{address}}}
                hosts: ["./echo.unix.local"]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=tcpclient"]);

        Assert.Equal("ping over a pipe", await EchoAsync(address, 9090, "ping over a pipe"));
        using var admin = new HttpClient();
        Assert.Contains($"outbound|9090||echo.unix.local::@{name}::cx_total::1\n", await admin.GetStringAsync($"{sidecar.AdminUrl}/clusters"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Sidecar_ingress_defaultEndpoint_on_a_unix_socket_receives_the_inbound_requests()
    {
        var socket = Path.Combine(_directory, "inbound.sock");
        await using var app = await TestBackend.StartAsync("uds-inbound", unixSocketPath: socket);
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        config.Write("sidecar.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: udsapp, namespace: default}
            spec:
              workloadSelector: {labels: {app: udsapp}}
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: {{{address}}}
                captureMode: NONE
                defaultEndpoint: "unix://{{{socket}}}"
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=udsapp"]);

        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri($"http://{address}:9080/inbound/path"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("uds-inbound", await response.Content.ReadAsStringAsync());
        var received = Assert.Single(app.Received);
        Assert.Equal("/inbound/path", received.Path);
        Assert.Equal($"{address}:9080", received.Host);
    }

    private static void WriteAccessLogMesh(ConfigDirectory config) =>
        config.Write("mesh.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: "accessLogFile: /dev/stdout"
            """);

    private static async Task<string> EchoAsync(IPAddress address, int port, string text)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(address, port);
        var sent = System.Text.Encoding.ASCII.GetBytes(text);
        await client.SendAsync(sent);
        var buffer = new byte[sent.Length];
        var read = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (read < buffer.Length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        client.Shutdown(SocketShutdown.Both);
        return System.Text.Encoding.ASCII.GetString(buffer);
    }
}
