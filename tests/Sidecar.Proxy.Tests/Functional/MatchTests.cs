using System.Net;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Route matches as Istio's HTTPMatchRequest compiles them into Envoy's RouteMatch.</summary>
public sealed class MatchTests : IAsyncLifetime
{
    private TestBackend _v1 = null!;
    private TestBackend _v2 = null!;
    private ProxyTestHost _proxy = null!;

    public async Task InitializeAsync()
    {
        _v1 = await TestBackend.StartAsync("v1");
        _v2 = await TestBackend.StartAsync("v2");
        var c1 = Cluster("reviews", 9080, "v1", Endpoint(_v1));
        var c2 = Cluster("reviews", 9080, "v2", Endpoint(_v2));
        RouteConfig To2(RouteMatchConfig match) => RouteTo(c2.Name, match);
        var routes = new[]
        {
            // headers: end-user exact jason (bookinfo's reviews-v2 rule)
            To2(new RouteMatchConfig { Headers = [new HeaderMatcherConfig { Name = "end-user", Match = new StringMatcherConfig(StringMatchKind.Exact, "jason") }] }),
            // uri regex
            To2(new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Regex, "/api/v[0-9]+/ratings") }),
            // uri exact
            To2(new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Exact, "/exact") }),
            // method (":method" header matcher) + uri prefix
            To2(new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/write"), Headers = [new HeaderMatcherConfig { Name = ":method", Match = new StringMatcherConfig(StringMatchKind.Exact, "POST") }] }),
            // queryParams exact
            To2(new RouteMatchConfig { QueryParameters = [new QueryParameterMatcherConfig { Name = "canary", Match = new StringMatcherConfig(StringMatchKind.Exact, "yes") }] }),
            // header prefix and regex
            To2(new RouteMatchConfig { Headers = [new HeaderMatcherConfig { Name = "x-group", Match = new StringMatcherConfig(StringMatchKind.Prefix, "beta-") }] }),
            To2(new RouteMatchConfig { Headers = [new HeaderMatcherConfig { Name = "x-build", Match = new StringMatcherConfig(StringMatchKind.Regex, "[0-9]{3}") }] }),
            // authority (":authority") prefix
            To2(new RouteMatchConfig { Headers = [new HeaderMatcherConfig { Name = ":authority", Match = new StringMatcherConfig(StringMatchKind.Exact, "reviews.default:9080") }] }),
            // withoutHeaders (invert_match): no x-legacy header goes to v1 only if present... inverted present check
            RouteTo(c1.Name),
        };
        _proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", routes, [c1, c2]));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _v1.DisposeAsync();
        await _v2.DisposeAsync();
    }

    [Theory]
    [InlineData("GET", "/", "end-user", "jason", "v2")]
    [InlineData("GET", "/", "end-user", "Jason", "v1")]
    [InlineData("GET", "/api/v12/ratings", null, null, "v2")]
    [InlineData("GET", "/api/v12/ratings/1", null, null, "v1")]
    [InlineData("GET", "/exact", null, null, "v2")]
    [InlineData("GET", "/exact/", null, null, "v1")]
    [InlineData("POST", "/write/1", null, null, "v2")]
    [InlineData("GET", "/write/1", null, null, "v1")]
    [InlineData("GET", "/?canary=yes", null, null, "v2")]
    [InlineData("GET", "/?canary=no", null, null, "v1")]
    [InlineData("GET", "/", "x-group", "beta-testers", "v2")]
    [InlineData("GET", "/", "x-group", "alpha", "v1")]
    [InlineData("GET", "/", "x-build", "123", "v2")]
    [InlineData("GET", "/", "x-build", "1234", "v1")]
    public async Task Request_goes_to_the_first_matching_route(string method, string path, string? header, string? value, string expected)
    {
        using var response = await _proxy.SendAsync("reviews:9080", path, new HttpMethod(method), r =>
        {
            if (header is not null)
            {
                r.Headers.Add(header, value);
            }

            if (method == "POST")
            {
                r.Content = new StringContent("body");
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Authority_match_uses_the_request_host()
    {
        using var response = await _proxy.SendAsync("reviews.default:9080");
        Assert.Equal("v2", await response.Content.ReadAsStringAsync());
    }
}
