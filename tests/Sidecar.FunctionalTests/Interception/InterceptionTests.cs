using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Sidecar.Testing;
using Sidecar.Testing.Netns;

namespace Sidecar.FunctionalTests.Interception;

/// <summary>
/// Transparent interception end to end: pods in network namespaces, the init program's iptables rules, sidecars as
/// uid 1337 reading SO_ORIGINAL_DST and sniffing protocols. The applications dial plain pod addresses.
/// </summary>
public sealed class InterceptionTests : IClassFixture<CapturedMesh>
{
    private readonly CapturedMesh _mesh;

    public InterceptionTests(CapturedMesh mesh) => _mesh = mesh;

    private HttpClient AppClient(Pod pod) => NamespaceHttp.CreateClient(pod.Namespace);

    [NetnsFact]
    public async Task A_plain_request_to_a_pod_ip_is_captured_and_routed_by_the_mesh_config()
    {
        using var app = AppClient(_mesh.Client);
        var url = $"http://{_mesh.Server.Address}:8080/hello";

        // The VirtualService sends x-route: v2 to the other pod, whatever address the app dialled.
        using var toV2 = new HttpRequestMessage(HttpMethod.Get, url);
        toV2.Headers.Add("x-route", "v2");
        using var v2 = await app.SendAsync(toV2);
        using var v1 = await app.GetAsync(url);

        Assert.Equal("server-v2", await v2.Content.ReadAsStringAsync());
        Assert.Equal("server-v1", await v1.Content.ReadAsStringAsync());
        // The client's sidecar answered (outbound server name) with the upstream timing Envoy adds.
        Assert.Equal("envoy", v2.Headers.Server.ToString());
        Assert.True(v2.Headers.Contains("x-envoy-upstream-service-time"));
    }

    [NetnsFact]
    public async Task Inbound_connections_reach_the_app_through_the_sidecar()
    {
        // From the node (no sidecar there), straight to the server pod's app port: the server's sidecar takes it on 15006.
        using var node = NamespaceHttp.CreateClient(_mesh.Network.Node);
        using var response = await node.GetAsync($"http://{_mesh.Server.Address}:8080/in");

        Assert.Equal("server-v1", await response.Content.ReadAsStringAsync());
        Assert.Equal("istio-envoy", response.Headers.Server.ToString());
    }

    [NetnsFact]
    public async Task The_sidecars_own_upstream_connections_are_not_captured_again()
    {
        var before = await EndpointRequestsAsync(_mesh.ClientSidecar, "outbound|8080|v1|server.default.svc.cluster.local");
        using var app = AppClient(_mesh.Client);
        for (var i = 0; i < 5; i++)
        {
            using var response = await app.GetAsync($"http://{_mesh.Server.Address}:8080/loop-check");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Five requests crossed the client's sidecar once each: its upstream connections (uid 1337) were not redirected back to it.
        Assert.Equal(before + 5, await EndpointRequestsAsync(_mesh.ClientSidecar, "outbound|8080|v1|server.default.svc.cluster.local"));
    }

    [NetnsFact]
    public async Task Opaque_tcp_is_routed_by_the_tcp_route_and_half_close_is_honoured()
    {
        // tcp: port 9000 -> subset v2 (the other pod), though the app dialled the server pod.
        using var socket = await _mesh.Client.Namespace.ConnectAsync(new IPEndPoint(_mesh.Server.Address, 9000), CancellationToken.None);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("ping over tcp"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);

        using var reader = new StreamReader(stream);
        var reply = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True("ping over tcp\nbye from echo-v2\n" == reply, $"reply: '{reply}'\nclient sidecar:\n{_mesh.ClientSidecar.Output}\nother:\n{_mesh.OtherSidecar.Output}");
    }

    [NetnsFact]
    public async Task A_server_first_protocol_on_an_auto_detected_port_falls_back_to_tcp_after_the_detection_timeout()
    {
        // Port 3306 is named "db": no protocol, so the sidecars sniff; the client waits for the server to speak.
        var before = await EndpointRequestsAsync(_mesh.ClientSidecar, DbCluster);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var socket = await _mesh.Client.Namespace.ConnectAsync(new IPEndPoint(_mesh.Server.Address, 3306), CancellationToken.None);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream);

        var greeting = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Matches("^greeting from db-v[12]$", greeting);
        // The client sidecar (and the server's, inbound) waited out the 300 ms detection timeout before choosing TCP.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(280), $"answered after {clock.Elapsed}");
        await stream.WriteAsync("select 1\n"u8.ToArray());
        Assert.Equal("select 1", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));

        // The service's TCP chain carried it (its cluster), not the listener's passthrough to the same address.
        Assert.Equal(before + 1, await EndpointRequestsAsync(_mesh.ClientSidecar, DbCluster));
    }

    [NetnsFact]
    public async Task Client_first_bytes_that_are_not_http_on_an_auto_detected_port_take_the_services_tcp_chain()
    {
        // Istio's matcher for an auto-detected port: HTTP to the HTTP chain, anything else (on_no_match) to TCP.
        var before = await EndpointRequestsAsync(_mesh.ClientSidecar, DbCluster);
        using var socket = await _mesh.Client.Namespace.ConnectAsync(new IPEndPoint(_mesh.Server.Address, 3306), CancellationToken.None);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("select 2\n"u8.ToArray());
        using var reader = new StreamReader(stream);

        Assert.Matches("^greeting from db-v[12]$", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal("select 2", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(before + 1, await EndpointRequestsAsync(_mesh.ClientSidecar, DbCluster));
    }

    private const string DbCluster = "outbound|3306||server.default.svc.cluster.local";

    [NetnsFact]
    public async Task The_status_ports_commands_answer_only_callers_on_the_pod_itself()
    {
        // pilot-agent's /quitquitquit and /drain check IsRequestFromLocalhost: the status port is on the pod IP,
        // which other pods reach (15020 is excluded from capture).
        foreach (var path in new[] { "/quitquitquit", "/drain" })
        {
            using var socket = await _mesh.Server.Namespace.ConnectAsync(new IPEndPoint(_mesh.Client.Address, 15020), CancellationToken.None);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {_mesh.Client.Address}:15020\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
            using var reader = new StreamReader(stream);
            var reply = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.StartsWith("HTTP/1.1 403 ", reply, StringComparison.Ordinal);
            Assert.Contains("Only requests from localhost are allowed", reply, StringComparison.Ordinal);
        }

        Assert.False(_mesh.ClientSidecar.HasExited);
    }

    [NetnsFact]
    public async Task Tls_is_passed_through_by_sni_without_terminating()
    {
        // Any address on port 443 with SNI secure.example.com goes to the ServiceEntry's endpoint (other pod, 8443).
        using var socket = await _mesh.Client.Namespace.ConnectAsync(new IPEndPoint(IPAddress.Parse("10.99.0.1"), 443), CancellationToken.None);
        using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "secure.example.com" });

        using var reader = new StreamReader(tls);
        Assert.Equal("secure sni=secure.example.com", await reader.ReadLineAsync());
        Assert.Equal("CN=secure", tls.RemoteCertificate!.Subject);

        // The connection's access log line names the SNI it was routed by (%REQUESTED_SERVER_NAME%, last but one).
        socket.Close();
        await _mesh.ClientSidecar.WaitForOutputAsync("outbound|443||secure.example.com", TimeSpan.FromSeconds(15));
        var line = _mesh.ClientSidecar.Output.Split('\n').Last(l => l.Contains("outbound|443||secure.example.com", StringComparison.Ordinal));
        Assert.EndsWith(" secure.example.com -", line.TrimEnd(), StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task A_grpc_style_h2c_stream_flows_both_ways_through_two_sidecars()
    {
        using var app = AppClient(_mesh.Client);
        var requestBody = new StreamingContent();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{_mesh.Server.Address}:8081/stream")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = requestBody,
        };
        request.Content.Headers.ContentType = new("application/grpc");

        // As gRPC clients do, the first message goes out without waiting for response headers.
        var sending = app.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await requestBody.WriteAsync(Encoding.UTF8.GetBytes("message-0;"));
        using var response = await sending;
        using var replies = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        for (var i = 0; i < 3; i++)
        {
            // Each message comes back before the next is sent: the stream is carried both ways, not buffered.
            var message = Encoding.UTF8.GetBytes($"message-{i};");
            if (i > 0)
            {
                await requestBody.WriteAsync(message);
            }

            var read = await replies.ReadAtLeastAsync(buffer, message.Length);
            Assert.Equal($"message-{i};", Encoding.UTF8.GetString(buffer, 0, read));
        }

        requestBody.Complete();
        Assert.Equal(0, await replies.ReadAsync(buffer));
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
    }

    [NetnsFact]
    public async Task A_websocket_is_upgraded_and_carried_through_two_sidecars()
    {
        using var handler = NamespaceHttp.CreateHandler(_mesh.Client.Namespace);
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{_mesh.Server.Address}:8080/ws"), invoker, CancellationToken.None);

        await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        Assert.Equal("server-v1: hello", Encoding.UTF8.GetString(buffer, 0, received.Count));
    }

    [NetnsFact]
    public async Task Registry_only_refuses_unknown_destinations_while_excluded_ports_and_cidrs_bypass_the_sidecar()
    {
        // strict runs REGISTRY_ONLY; its init excluded outbound port 9999 and the other pod's address.
        var otherPort7777 = new IPEndPoint(_mesh.Other.Address, 7777);
        var serverPort7777 = new IPEndPoint(_mesh.Server.Address, 7777);
        var otherPort9999 = new IPEndPoint(_mesh.Other.Address, 9999);

        // Excluded CIDR: straight to the other pod, bypassing the sidecar that would refuse it.
        Assert.Equal("other-7777", await ReadGreetingAsync(_mesh.Strict.Namespace, otherPort7777));
        // Excluded port 9999 likewise.
        Assert.Equal("other-9999", await ReadGreetingAsync(_mesh.Strict.Namespace, otherPort9999));
        // Not excluded, unknown to the registry: the sidecar's BlackHoleCluster closes it without a byte.
        Assert.Equal("", await ReadGreetingAsync(_mesh.Strict.Namespace, serverPort7777));
    }

    [NetnsFact]
    public void Cleanup_removes_every_rule_it_added()
    {
        using var network = PodNetwork.Create(["scratch"], subnet: 200 + (Environment.ProcessId % 50));
        var pod = network["scratch"];
        CapturedMesh.Init(pod, CapturedMesh.InjectedInitFlags);
        Assert.Contains("ISTIO_OUTPUT", pod.Namespace.Exec("iptables-save", "-t", "nat").EnsureSuccess().Stdout);

        CapturedMesh.Init(pod, ["--cleanup-only"]);

        Assert.DoesNotContain("ISTIO", pod.Namespace.Exec("iptables-save", "-t", "nat").EnsureSuccess().Stdout);
    }

    private static async Task<string> ReadGreetingAsync(NetworkNamespace ns, IPEndPoint target)
    {
        try
        {
            using var socket = await ns.ConnectAsync(target, CancellationToken.None);
            return (await ReadToEndAsync(socket)).TrimEnd('\n');
        }
        catch (SocketException)
        {
            return "";
        }
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream);
        try
        {
            return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<long> EndpointRequestsAsync(SidecarProcess sidecar, string cluster)
    {
        var text = await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/clusters");
        return text.Split('\n')
            .Where(line => line.StartsWith(cluster + "::", StringComparison.Ordinal) && line.Contains("::rq_total::", StringComparison.Ordinal))
            .Sum(line => long.Parse(line[(line.LastIndexOf("::", StringComparison.Ordinal) + 2)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A request body written message by message while the response is read.</summary>
    private sealed class StreamingContent : HttpContent
    {
        private readonly System.Threading.Channels.Channel<byte[]> _messages = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        public ValueTask WriteAsync(byte[] message) => _messages.Writer.WriteAsync(message);

        public void Complete() => _messages.Writer.Complete();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await foreach (var message in _messages.Reader.ReadAllAsync())
            {
                await stream.WriteAsync(message);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
