using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// AuthorizationPolicy CUSTOM with an <c>envoyExtAuthzHttp</c> provider on a real server sidecar (Istio's "External
/// Authorization" task with its sample ext-authz service): requests the CUSTOM rules match are checked first, allowed
/// ones carry the service's headers to the app, denied ones get the service's answer with flag UAEX.
/// </summary>
public sealed class ExternalAuthorizationTests : IAsyncLifetime
{
    private readonly ConfigDirectory _config = new();
    private readonly ConcurrentQueue<ReceivedRequest> _checks = new();
    private TestBackend _authz = null!;
    private TestBackend _app = null!;
    private SidecarProcess _server = null!;

    public async Task InitializeAsync()
    {
        // Istio's sample ext-authz: allow when the request carries "x-ext-authz: allow".
        _authz = await TestBackend.StartAsync("ext-authz", async (context, request) =>
        {
            _checks.Enqueue(request);
            var allowed = request.Headers.GetValueOrDefault("x-ext-authz") == "allow";
            context.Response.Headers["x-ext-authz-check-result"] = allowed ? "allowed" : "denied";
            context.Response.Headers["x-user"] = "alice";
            context.Response.StatusCode = allowed ? 200 : 403;
            await context.Response.WriteAsync(allowed ? "" : "denied by ext_authz for not found header `x-ext-authz: allow` in the request");
        });
        _app = await TestBackend.StartAsync("httpbin", (context, request) => context.Response.WriteAsync(
            $"user={request.Headers.GetValueOrDefault("x-user") ?? "-"} result={request.Headers.GetValueOrDefault("x-ext-authz-check-result") ?? "-"}"));
        var address = LoopbackAddresses.Next();
        _config.Write("server.yaml", ServerYaml(address, _authz.Port, """
            pathPrefix: /check
            includeRequestHeadersInCheck: ["x-ext-authz"]
            headersToUpstreamOnAllow: ["x-user", "x-ext-authz-check-result"]
            headersToDownstreamOnDeny: ["x-ext-authz-check-result"]
            """));
        _server = await SidecarProcess.StartAsync(_config.Path, address, ["--labels", "app=httpbin"]);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _app.DisposeAsync();
        await _authz.DisposeAsync();
        _config.Dispose();
    }

    [Fact]
    public async Task An_allowed_request_reaches_the_app_with_the_services_headers_after_a_check_of_its_method_path_and_chosen_headers()
    {
        using var response = await SendAsync("/headers?x=1", ("x-ext-authz", "allow"), ("x-unrelated", "secret"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("user=alice result=allowed", await response.Content.ReadAsStringAsync());
        var check = Assert.Single(_checks);
        Assert.Equal("GET", check.Method);
        Assert.Equal("/check/headers", check.Path);
        Assert.Equal("?x=1", check.Query);
        Assert.Equal("allow", check.Headers["x-ext-authz"]);
        // Only Host, Method, Path, Content-Length, Authorization and includeRequestHeadersInCheck go to the service.
        Assert.False(check.Headers.ContainsKey("x-unrelated"));
    }

    [Fact]
    public async Task A_denied_request_gets_the_services_status_body_and_chosen_headers_with_flag_UAEX_and_never_reaches_the_app()
    {
        using var response = await SendAsync("/headers", ("x-ext-authz", "deny"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("denied by ext_authz for not found header `x-ext-authz: allow` in the request", await response.Content.ReadAsStringAsync());
        Assert.Equal("denied", response.Headers.GetValues("x-ext-authz-check-result").Single());
        // headersToDownstreamOnDeny names only the check result: x-user stays with the service.
        Assert.False(response.Headers.Contains("x-user"));
        Assert.Equal("UAEX", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal(0, _app.RequestCount);
    }

    [Fact]
    public async Task A_request_the_CUSTOM_rules_do_not_match_is_not_checked()
    {
        using var response = await SendAsync("/ip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(_checks);
    }

    [Theory]
    [InlineData("statusOnError: \"503\"", HttpStatusCode.ServiceUnavailable)]
    [InlineData("failOpen: true", HttpStatusCode.OK)]
    public async Task An_unreachable_service_gives_statusOnError_or_with_failOpen_lets_the_request_through(string setting, HttpStatusCode expected)
    {
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        var closedPort = FreePort.Get();
        config.Write("server.yaml", ServerYaml(address, closedPort, setting));
        await using var server = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=httpbin"]);

        using var response = await server.Client.GetAsync($"http://{address}:8000/headers");

        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal("UAEX", response.Headers.GetValues("x-envoy-response-flags").Single());
        }
    }

    [Fact]
    public async Task A_gRPC_provider_checks_with_the_requests_attributes_and_applies_its_ok_and_denied_responses()
    {
        await using var grpc = await GrpcExtAuthzServer.StartAsync();
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        config.Write("server.yaml", ServerYaml(address, grpc.Port, "", kind: "envoyExtAuthzGrpc", protocol: "GRPC"));
        await using var server = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=httpbin"]);

        using var allowed = new HttpRequestMessage(HttpMethod.Get, $"http://{address}:8000/headers?x=1");
        allowed.Headers.Add("x-ext-authz", "allow");
        allowed.Headers.Add("x-remove-me", "secret");
        using var allowedResponse = await server.Client.SendAsync(allowed);
        using var denied = new HttpRequestMessage(HttpMethod.Get, $"http://{address}:8000/headers");
        using var deniedResponse = await server.Client.SendAsync(denied);

        Assert.Equal(HttpStatusCode.OK, allowedResponse.StatusCode);
        Assert.Equal("user=- result=allowed", await allowedResponse.Content.ReadAsStringAsync());
        Assert.Equal("yes", allowedResponse.Headers.GetValues("x-checked").Single());
        var received = Assert.Single(_app.Received);
        Assert.False(received.Headers.ContainsKey("x-remove-me"));
        var check = grpc.Checks.First().Attributes;
        Assert.Equal("GET", check.Request.Http.Method);
        Assert.Equal("/headers?x=1", check.Request.Http.Path);
        Assert.Equal("/headers?x=1", check.Request.Http.Headers[":path"]);
        Assert.Equal("allow", check.Request.Http.Headers["x-ext-authz"]);
        Assert.Equal("127.0.0.1", check.Source.Address.SocketAddress.Address);
        Assert.Equal(8000u, check.Destination.Address.SocketAddress.PortValue);

        Assert.Equal(HttpStatusCode.Unauthorized, deniedResponse.StatusCode);
        Assert.Equal("denied by grpc ext_authz", await deniedResponse.Content.ReadAsStringAsync());
        Assert.Equal("denied", deniedResponse.Headers.GetValues("x-ext-authz-check-result").Single());
        Assert.Equal("UAEX", deniedResponse.Headers.GetValues("x-envoy-response-flags").Single());
    }

    [Fact]
    public async Task A_gRPC_provider_checks_inbound_tcp_connections_and_a_denial_closes_them()
    {
        await using var grpc = await GrpcExtAuthzServer.StartAsync();
        using var echo = new TcpEcho();
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        var tcpIngress = $"{{port: {{number: 9090, protocol: TCP, name: tcp}}, bind: {address}, captureMode: NONE, defaultEndpoint: 127.0.0.1:{echo.Port}}}";
        config.Write("server.yaml", ServerYaml(address, grpc.Port, "", kind: "envoyExtAuthzGrpc", protocol: "GRPC", rules: "[{}]", extraIngress: tcpIngress));
        await using var server = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=httpbin"]);

        Assert.Null(await EchoAsync(address));
        var check = Assert.Single(grpc.Checks).Attributes;
        Assert.Equal("127.0.0.1", check.Source.Address.SocketAddress.Address);
        Assert.Equal(9090u, check.Destination.Address.SocketAddress.PortValue);

        grpc.AllowConnections = true;
        Assert.Equal("ping", await EchoAsync(address));
    }

    /// <summary>Sends "ping" over a new connection; the echo, or null when the connection is closed first.</summary>
    private static async Task<string?> EchoAsync(IPAddress address)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(address, 9090);
        await socket.SendAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        var received = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (received < buffer.Length)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(received), deadline.Token);
                if (read == 0)
                {
                    return null;
                }

                received += read;
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }

        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Istio's ext-authz task: the provider in the mesh config, the service, the workload's ingress and the CUSTOM policy on /headers.</summary>
    private string ServerYaml(System.Net.IPAddress address, int authzPort, string providerSettings, string kind = "envoyExtAuthzHttp", string protocol = "HTTP", string rules = "[{to: [{operation: {paths: [\"/headers\"]}}]}]", string extraIngress = "") => $$$"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            extensionProviders:
            - name: sample-ext-authz-http
              {{{kind}}}:
                service: foo/ext-authz.foo.svc.cluster.local
                port: "8000"
        {{{string.Join("\n", providerSettings.Split('\n').Select(line => "        " + line))}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ext-authz, namespace: foo}
        spec:
          hosts: [ext-authz.foo.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8000, name: http, protocol: {{{protocol}}}}]
          endpoints: [{address: 127.0.0.1, ports: {http: {{{authzPort}}}}}]
        ---
        {{{MeshYaml.HttpbinIngress(address, _app.Port, extraIngress)}}}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext-authz, namespace: default}
        spec:
          selector: {matchLabels: {app: httpbin}}
          action: CUSTOM
          provider: {name: sample-ext-authz-http}
          rules: {{{rules}}}
        """;

    private Task<HttpResponseMessage> SendAsync(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://{_server.Bind}:8000{path}");
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return _server.Client.SendAsync(request);
    }
}
