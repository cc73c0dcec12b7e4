using System.Net;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

public sealed class RoutingTests
{
    [Fact]
    public async Task Routes_by_host_header_to_the_service_cluster()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", "/reviews/1?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reviews-v1", await response.Content.ReadAsStringAsync());
        var received = Assert.Single(backend.Received);
        Assert.Equal("/reviews/1", received.Path);
        Assert.Equal("?x=1", received.Query);
        Assert.Equal("reviews:9080", received.Host);
        Assert.True(Guid.TryParse(received.Headers["x-request-id"], out _));
        Assert.True(response.Headers.Contains("x-envoy-upstream-service-time"));
        Assert.Equal("envoy", response.Headers.Server.ToString());
    }

    [Fact]
    public async Task An_http2_request_reaches_an_http1_upstream_with_its_authority_as_Host()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with { HttpProtocol = UpstreamHttpProtocol.Http1 };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{proxy.Client.BaseAddress}reviews/1")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "reviews:9080";

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        // :authority is routed on and forwarded as the upstream's Host (Envoy keeps the original authority).
        Assert.Equal("reviews:9080", Assert.Single(backend.Received).Host);
    }

    [Fact]
    public async Task A_punycode_authority_matches_its_domain_as_sent()
    {
        // Envoy matches virtual host domains against the raw :authority/Host; ASP.NET Core's HttpRequest.Host would
        // decode the punycode ("xn--bcher-kva" to "bücher") and miss the domain istiod configured.
        await using var backend = await TestBackend.StartAsync("books");
        var cluster = Cluster("xn--bcher-kva", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "xn--bcher-kva", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("xn--bcher-kva:9080");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Forwarded as sent too (the backend's HttpRequest.Host would show it decoded).
        Assert.Equal("xn--bcher-kva:9080", Assert.Single(backend.Received).Headers["host"]);
    }

    [Fact]
    public async Task Keeps_an_existing_request_id()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", configure: r => r.Headers.Add("x-request-id", "abc-123"));

        Assert.Equal("abc-123", Assert.Single(backend.Received).Headers["x-request-id"]);
    }

    [Fact]
    public async Task Host_without_port_finds_the_service_on_its_only_port()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews.default.svc.cluster.local");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Absolute_form_request_target_routes_like_an_http_proxy()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(proxy.Client.BaseAddress), UseProxy = true });

        using var response = await client.GetAsync("http://reviews:9080/reviews/2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(backend.Received);
        Assert.Equal("/reviews/2", received.Path);
        Assert.Equal("reviews:9080", received.Host);
    }

    [Fact]
    public async Task Unmatched_path_is_404_with_flag_NR()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var onlyReviews = RouteTo(cluster.Name, new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/reviews") });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [onlyReviews], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", "/other");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NR", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task Route_to_missing_cluster_is_503_NC()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo("outbound|9080|v9|reviews.default.svc.cluster.local")], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("NC", response.Headers.GetValues("x-envoy-response-flags").Single());
    }

    [Fact]
    public async Task Cluster_without_endpoints_is_503_UH()
    {
        var cluster = Cluster("reviews", 9080, null);
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("UH", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("no healthy upstream", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Connection_refused_is_503_UF()
    {
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = "127.0.0.1", Port = FreePort.Get() });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("UF", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.StartsWith("upstream connect error or disconnect/reset before headers", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Direct_response_and_first_matching_route_wins()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var direct = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Exact, "/teapot") },
            DirectResponse = new DirectResponseConfig(418, "short and stout"),
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [direct, RouteTo(cluster.Name)], [cluster]));

        using var teapot = await proxy.SendAsync("reviews:9080", "/teapot");
        using var other = await proxy.SendAsync("reviews:9080", "/teapot/more");

        Assert.Equal((HttpStatusCode)418, teapot.StatusCode);
        Assert.Equal("short and stout", await teapot.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task ProxyHeaders_in_the_mesh_config_turn_the_proxys_own_headers_off()
    {
        // Istio's defaultConfig.proxyHeaders: requestId, attemptCount, envoyDebugHeaders (suppress_envoy_headers) and
        // server (PASS_THROUGH: the upstream's own Server header, if any, is not replaced).
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var route = new RouteConfig { Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }], Timeout = TimeSpan.FromSeconds(5) } };
        var config = Snapshot(9080, "reviews", [route], [cluster]) with
        {
            Mesh = new MeshConfig
            {
                ProxyHeaders = new ProxyHeadersConfig { ServerDisabled = true, RequestIdDisabled = true, AttemptCountDisabled = true, EnvoyDebugHeadersDisabled = true },
            },
        };
        await using var proxy = await ProxyTestHost.StartAsync(config);

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(backend.Received);
        Assert.False(received.Headers.ContainsKey("x-request-id"));
        Assert.False(received.Headers.ContainsKey("x-envoy-attempt-count"));
        Assert.False(received.Headers.ContainsKey("x-envoy-expected-rq-timeout-ms"));
        Assert.False(response.Headers.Contains("x-envoy-upstream-service-time"));
        Assert.Equal("Kestrel", response.Headers.Server.ToString()); // the test backend's own, passed through
    }

    [Fact]
    public async Task ProxyHeaders_server_value_names_the_proxy_in_the_Server_header()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var config = Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]) with
        {
            Mesh = new MeshConfig { ProxyHeaders = new ProxyHeadersConfig { ServerValue = "edge-proxy" } },
        };
        await using var proxy = await ProxyTestHost.StartAsync(config);

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal("edge-proxy", response.Headers.Server.ToString());
        Assert.True(Guid.TryParse(Assert.Single(backend.Received).Headers["x-request-id"], out _));
    }
}
