using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>VirtualService routing through a real sidecar process (Istio YAML -> model -> data plane).</summary>
public sealed class RoutingTests : IClassFixture<BookinfoMesh>
{
    private readonly BookinfoMesh _mesh;

    public RoutingTests(BookinfoMesh mesh) => _mesh = mesh;

    [Fact]
    public async Task Weighted_route_splits_80_20_within_statistical_bounds()
    {
        const int n = 500;
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < n; i++)
        {
            using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/reviews/0");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            counts[body] = counts.GetValueOrDefault(body) + 1;
        }

        // Binomial(500, 0.2): mean 100, sd ~8.9; accept +-5 sd.
        Assert.InRange(counts.GetValueOrDefault("reviews-v2"), 55, 145);
        Assert.Equal(n, counts.GetValueOrDefault("reviews-v1") + counts.GetValueOrDefault("reviews-v2"));
    }

    [Theory]
    [InlineData("GET", "/reviews/0", "end-user", "jason", "reviews-v2")] // headers exact
    [InlineData("GET", "/api/v2/reviews", null, null, "reviews-v3")] // uri regex
    [InlineData("DELETE", "/reviews/0", null, null, "reviews-v3")] // method, ORed with the regex match
    [InlineData("GET", "/reviews/0?canary=true", null, null, "reviews-v3")] // queryParams exact
    [InlineData("GET", "/reviews/0", "x-group", "beta-1", "reviews-v3")] // headers prefix, ORed with the query match
    [InlineData("GET", "/reviews/0?canary=false", "end-user", "mallory", "split")]
    public async Task Matches_select_the_route(string method, string path, string? header, string? value, string expected)
    {
        // The split default route would send some of these to v2: repeat to show the match is not luck.
        for (var i = 0; i < 10; i++)
        {
            using var response = await _mesh.Sidecar.SendAsync("reviews:9080", path, new HttpMethod(method), r =>
            {
                if (header is not null)
                {
                    r.Headers.Add(header, value);
                }
            });
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (expected == "split")
            {
                // No match: the default 80/20 route serves it.
                Assert.Contains(body, new[] { "reviews-v1", "reviews-v2" });
            }
            else
            {
                Assert.Equal(expected, body);
            }
        }
    }

    [Fact]
    public async Task Every_istio_domain_form_reaches_the_service()
    {
        // Also the absolute FQDN (PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN) and a port other than the service's:
        // Istio's sidecar route tables set ignore_port_in_host_matching.
        foreach (var host in new[] { "reviews", "reviews:9080", "reviews.default", "reviews.default.svc:9080", "reviews.default.svc.cluster.local:9080", "reviews.default.svc.cluster.local.", "reviews:1234" })
        {
            using var response = await _mesh.Sidecar.SendAsync(host, "/reviews/0", configure: r => r.Headers.Add("end-user", "jason"));
            Assert.Equal("reviews-v2", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Http_proxy_clients_are_routed_by_the_absolute_uri()
    {
        using var client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(_mesh.Sidecar.Client.BaseAddress), UseProxy = true });
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://reviews:9080/reviews/0");
        request.Headers.Add("end-user", "jason");

        using var response = await client.SendAsync(request);

        Assert.Equal("reviews-v2", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_absolute_form_target_names_the_authority_whatever_the_Host_header_says()
    {
        // RFC 9112 3.2.2: a request to a proxy in absolute form carries its authority in the target; Envoy's HTTP/1
        // codec takes :authority from it and ignores the Host header.
        var response = await RawHttp.SendAsync(_mesh.Sidecar.Bind, 15001, "unrelated.example:1", "http://reviews:9080/reviews/0", extraHead: "end-user: jason\r\n");

        Assert.Equal(200, response.StatusCode);
        Assert.Contains("reviews-v2", response.HeadersAndBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rewrite_replaces_the_prefix_and_authority()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/legacy/reviews/7?x=1", configure: r => r.Headers.Add("x-test-id", id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_mesh.ReviewsV1.Received, r => r.Headers.GetValueOrDefault("x-test-id") == id);
        Assert.Equal("/v1/reviews/7", received.Path);
        Assert.Equal("?x=1", received.Query);
        Assert.Equal("reviews.internal", received.Host);
    }

    [Fact]
    public async Task Redirect_answers_with_location()
    {
        using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/old");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        // Istio's redirect.authority is Envoy's host_redirect: it replaces the whole authority, port included.
        Assert.Equal("http://reviews.example.com/new", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Direct_response_answers_without_an_upstream()
    {
        using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/static");

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("short and stout", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Headers_are_set_added_and_removed_both_ways()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/headers", configure: r =>
        {
            r.Headers.Add("x-test-id", id);
            r.Headers.Add("x-set", "client");
            r.Headers.Add("x-add", "client");
            r.Headers.Add("x-drop", "client");
        });

        var received = Assert.Single(_mesh.ReviewsV1.Received, r => r.Headers.GetValueOrDefault("x-test-id") == id);
        Assert.Equal("mesh", received.Headers["x-set"]);
        Assert.Equal(["client", "mesh"], received.Headers["x-add"].Split(',').Select(v => v.Trim()));
        Assert.False(received.Headers.ContainsKey("x-drop"));
        Assert.Equal("sidecar", response.Headers.GetValues("x-served-by").Single());
        Assert.False(response.Headers.Contains("x-backend"));
    }

    [Fact]
    public async Task Mirror_copies_the_request_to_the_shadow_subset()
    {
        var id = Guid.NewGuid().ToString("N");
        var shadowed = new TaskCompletionSource<Testing.ReceivedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRequest(Testing.ReceivedRequest r)
        {
            if (r.Headers.GetValueOrDefault("x-test-id") == id)
            {
                shadowed.TrySetResult(r);
            }
        }

        _mesh.ReviewsV3.RequestReceived += OnRequest;
        try
        {
            using var response = await _mesh.Sidecar.SendAsync("reviews:9080", "/mirror/1", configure: r => r.Headers.Add("x-test-id", id));
            Assert.Equal("reviews-v1", await response.Content.ReadAsStringAsync());
            var copy = await shadowed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("/mirror/1", copy.Path);
            Assert.Equal("reviews-shadow:9080", copy.Host);
        }
        finally
        {
            _mesh.ReviewsV3.RequestReceived -= OnRequest;
        }
    }

    [Fact]
    public async Task Consistent_hash_keeps_each_user_on_one_endpoint()
    {
        var owners = new Dictionary<string, HashSet<string>>();
        for (var round = 0; round < 4; round++)
        {
            for (var user = 0; user < 16; user++)
            {
                using var response = await _mesh.Sidecar.SendAsync("cart:8080", "/cart", configure: r => r.Headers.Add("x-user", $"user-{user}"));
                var served = await response.Content.ReadAsStringAsync();
                owners.TryAdd($"user-{user}", []);
                owners[$"user-{user}"].Add(served);
            }
        }

        Assert.All(owners.Values, set => Assert.Single(set));
        Assert.True(owners.Values.Select(s => s.Single()).Distinct().Count() > 1, "users should spread over more than one endpoint");
    }

    [Fact]
    public async Task Unknown_host_passes_through_under_allow_any()
    {
        // ALLOW_ANY: an unknown authority is forwarded where it points (here, the ratings backend by address).
        using var response = await _mesh.Sidecar.SendAsync($"{_mesh.Ratings.Address}:{_mesh.Ratings.Port}", "/anything");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ratings-v1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_request_addressed_to_the_sidecars_own_listener_is_not_passed_back_to_it()
    {
        // Istio blackholes traffic to the capture port itself (virtualOutbound-blackhole): passed through, the request
        // would come back to the same listener without end.
        using var response = await _mesh.Sidecar.SendAsync($"{_mesh.Sidecar.Bind}:15001", "/self");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("UH", response.Headers.GetValues("x-envoy-response-flags").Single());
    }
}
