using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Weighted routes, header mutation, rewrites, redirects and mirrors.</summary>
public sealed class TrafficShapingTests
{
    [Fact]
    public async Task Weighted_clusters_split_traffic_within_statistical_bounds()
    {
        await using var v1 = await TestBackend.StartAsync("v1");
        await using var v2 = await TestBackend.StartAsync("v2");
        var c1 = Cluster("reviews", 9080, "v1", Endpoint(v1));
        var c2 = Cluster("reviews", 9080, "v2", Endpoint(v2));
        var route = new RouteConfig
        {
            Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = c1.Name, Weight = 80 }, new WeightedClusterConfig { Cluster = c2.Name, Weight = 20 }] },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [c1, c2]));

        const int n = 1000;
        for (var i = 0; i < n; i++)
        {
            using var response = await proxy.SendAsync("reviews:9080");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Binomial(1000, 0.2): mean 200, sd ~12.6; accept +-5 sd.
        Assert.InRange(v2.RequestCount, 137, 263);
        Assert.Equal(n, v1.RequestCount + v2.RequestCount);
    }

    [Fact]
    public async Task Header_set_add_remove_on_request_and_response()
    {
        await using var backend = await TestBackend.StartAsync("reviews", async (context, _) =>
        {
            context.Response.Headers["x-internal"] = "secret";
            context.Response.Headers["x-multi"] = "one";
            await context.Response.WriteAsync("ok");
        });
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var route = RouteTo(cluster.Name) with
        {
            RequestHeaders = new HeaderMutationConfig
            {
                Set = [new HeaderValueConfig("x-set", "route")],
                Add = [new HeaderValueConfig("x-add", "route")],
                Remove = ["x-drop"],
            },
            ResponseHeaders = new HeaderMutationConfig
            {
                Set = [new HeaderValueConfig("x-served-by", "mesh")],
                Add = [new HeaderValueConfig("x-multi", "two")],
                Remove = ["x-internal"],
            },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", configure: r =>
        {
            r.Headers.Add("x-set", "client");
            r.Headers.Add("x-add", "client");
            r.Headers.Add("x-drop", "client");
        });

        var received = Assert.Single(backend.Received);
        Assert.Equal("route", received.Headers["x-set"]);
        Assert.Equal(["client", "route"], received.Headers["x-add"].Split(',').Select(v => v.Trim()));
        Assert.False(received.Headers.ContainsKey("x-drop"));
        Assert.Equal("mesh", response.Headers.GetValues("x-served-by").Single());
        Assert.Equal(["one", "two"], response.Headers.GetValues("x-multi").SelectMany(v => v.Split(',')).Select(v => v.Trim()));
        Assert.False(response.Headers.Contains("x-internal"));
    }

    [Fact]
    public async Task Prefix_and_authority_rewrite_sends_the_original_path_as_x_envoy_original_path()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var route = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/v1/") },
            Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }], PrefixRewrite = "/api/", HostRewrite = "ratings.internal" },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [route], [cluster]));

        using var response = await proxy.SendAsync("ratings:9080", "/v1/ratings/7?full=1");

        var received = Assert.Single(backend.Received);
        Assert.Equal("/api/ratings/7", received.Path);
        Assert.Equal("?full=1", received.Query);
        Assert.Equal("ratings.internal", received.Host);
        // Envoy's router: a rewritten route carries the path as received (with its query) upstream.
        Assert.Equal("/v1/ratings/7?full=1", received.Headers["x-envoy-original-path"]);
    }

    [Fact]
    public async Task Regex_rewrite()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var route = new RouteConfig
        {
            Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }], RegexRewrite = new RegexRewriteConfig("^/service/([^/]+)(/.*)$", "\\2/instance/\\1") },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [route], [cluster]));

        using var response = await proxy.SendAsync("ratings:9080", "/service/foo/v1/api");

        Assert.Equal("/v1/api/instance/foo", Assert.Single(backend.Received).Path);
    }

    [Fact]
    public async Task Redirect_builds_location_from_route_overrides()
    {
        var route = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/old/") },
            Redirect = new RedirectConfig { Host = "reviews.example.com", PrefixRewrite = "/new/", ResponseCode = 308 },
        };
        var exact = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Exact, "/login") },
            Redirect = new RedirectConfig { Scheme = "https", PathRedirect = "/sso", StripQuery = true },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route, exact], []));

        using var moved = await proxy.SendAsync("reviews:9080", "/old/page?q=1");
        using var login = await proxy.SendAsync("reviews", "/login?next=x");

        Assert.Equal(HttpStatusCode.PermanentRedirect, moved.StatusCode);
        // host_redirect replaces the whole authority: the request's :9080 does not follow it (Envoy's newUri).
        Assert.Equal("http://reviews.example.com/new/page?q=1", moved.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.MovedPermanently, login.StatusCode);
        Assert.Equal("https://reviews/sso", login.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_scheme_redirect_drops_the_old_schemes_default_port_and_keeps_any_other()
    {
        // Envoy's processRequestHost: with the scheme changing, ":80" of an http request goes; ":9080" stays; a
        // port_redirect replaces the port either way.
        var https = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/secure") },
            Redirect = new RedirectConfig { Scheme = "https" },
        };
        var ported = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/ported") },
            Redirect = new RedirectConfig { Port = 8443, Scheme = "https" },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [https, ported], []) with
        {
            RouteTables =
            [
                new RouteTableConfig { Name = "80", VirtualHosts = [new VirtualHostConfig { Name = "all", Domains = ["*"], Routes = [https, ported] }] },
                new RouteTableConfig { Name = "9080", VirtualHosts = [new VirtualHostConfig { Name = "all", Domains = ["*"], Routes = [https, ported] }] },
            ],
        });

        using var defaultPort = await proxy.SendAsync("reviews.example.com:80", "/secure/a?b=1");
        using var otherPort = await proxy.SendAsync("reviews:9080", "/secure/a");
        using var replaced = await proxy.SendAsync("reviews:9080", "/ported/a");

        Assert.Equal("https://reviews.example.com/secure/a?b=1", defaultPort.Headers.Location!.ToString());
        Assert.Equal("https://reviews:9080/secure/a", otherPort.Headers.Location!.ToString());
        Assert.Equal("https://reviews:8443/ported/a", replaced.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Mirror_sends_a_shadow_copy_and_ignores_its_response()
    {
        await using var primary = await TestBackend.StartAsync("primary");
        var shadowSeen = new TaskCompletionSource<ReceivedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var shadow = await TestBackend.StartAsync("shadow", async (context, received) =>
        {
            shadowSeen.TrySetResult(received);
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("ignored");
        });
        var c1 = Cluster("reviews", 9080, "v1", Endpoint(primary));
        var c2 = Cluster("reviews", 9080, "v2", Endpoint(shadow));
        var route = new RouteConfig
        {
            Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = c1.Name }], Mirrors = [new MirrorPolicyConfig(c2.Name, Percentage.Full)] },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [c1, c2]));

        using var response = await proxy.SendAsync("reviews:9080", "/reviews/1", HttpMethod.Post, r => r.Content = new StringContent("payload"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("primary", await response.Content.ReadAsStringAsync());
        var copy = await shadowSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("/reviews/1", copy.Path);
        Assert.Equal("reviews-shadow:9080", copy.Host);
        Assert.Equal("payload", System.Text.Encoding.UTF8.GetString(copy.Body));

        // The shadow is the same request: the x-request-id made for it goes to both, and what the connection manager
        // and the router add before Envoy copies the shadow's headers (x-forwarded-proto, the attempt number).
        Assert.True(Guid.TryParse(copy.Headers["x-request-id"], out _));
        Assert.Equal(Assert.Single(primary.Received).Headers["x-request-id"], copy.Headers["x-request-id"]);
        Assert.Equal("http", copy.Headers["x-forwarded-proto"]);
        Assert.Equal("1", copy.Headers["x-envoy-attempt-count"]);
    }

    [Fact]
    public async Task The_shadow_speaks_the_mirror_clusters_protocol()
    {
        // Envoy sends the shadow with the mirror cluster's codec: an HTTP/2 (gRPC) cluster gets it over HTTP/2, even
        // when the primary cluster and the caller speak HTTP/1.1.
        await using var primary = await TestBackend.StartAsync("primary");
        var shadowSeen = new TaskCompletionSource<ReceivedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var shadow = await TestBackend.StartAsync("shadow", (context, received) =>
        {
            shadowSeen.TrySetResult(received);
            return Task.CompletedTask;
        }, protocols: Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        var c1 = Cluster("reviews", 9080, "v1", Endpoint(primary));
        var c2 = Cluster("reviews", 9080, "v2", Endpoint(shadow)) with { HttpProtocol = UpstreamHttpProtocol.Http2 };
        var route = new RouteConfig
        {
            Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = c1.Name }], Mirrors = [new MirrorPolicyConfig(c2.Name, Percentage.Full)] },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [c1, c2]));

        using var response = await proxy.SendAsync("reviews:9080", "/reviews/1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("HTTP/1.1", Assert.Single(primary.Received).Protocol);
        Assert.Equal("HTTP/2", (await shadowSeen.Task.WaitAsync(TimeSpan.FromSeconds(10))).Protocol);
    }

    [Fact]
    public async Task The_mirror_gets_the_request_after_the_routes_rewrites_and_header_operations()
    {
        // Envoy's router finalizes the request headers (path and host rewrites, request_headers_to_add/remove)
        // before it copies them for the shadow, so the mirror sees what the primary upstream sees, with -shadow.
        await using var primary = await TestBackend.StartAsync("primary");
        var shadowSeen = new TaskCompletionSource<ReceivedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var shadow = await TestBackend.StartAsync("shadow", (context, received) =>
        {
            shadowSeen.TrySetResult(received);
            return Task.CompletedTask;
        });
        var c1 = Cluster("reviews", 9080, "v1", Endpoint(primary));
        var c2 = Cluster("reviews", 9080, "v2", Endpoint(shadow));
        var route = new RouteConfig
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/legacy") },
            Route = new RouteActionConfig
            {
                Clusters = [new WeightedClusterConfig { Cluster = c1.Name }],
                Mirrors = [new MirrorPolicyConfig(c2.Name, Percentage.Full)],
                PrefixRewrite = "/v2",
                HostRewrite = "reviews.internal",
            },
            RequestHeaders = new HeaderMutationConfig { Set = [new HeaderValueConfig("x-route", "legacy")] },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [c1, c2]));

        using var response = await proxy.SendAsync("reviews:9080", "/legacy/reviews/1?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var copy = await shadowSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var original = Assert.Single(primary.Received);
        Assert.Equal(("/v2/reviews/1", "?x=1", "reviews.internal", "legacy"), (original.Path, original.Query, original.Host, original.Headers["x-route"]));
        Assert.Equal(("/v2/reviews/1", "?x=1", "reviews.internal-shadow", "legacy"), (copy.Path, copy.Query, copy.Host, copy.Headers["x-route"]));
    }
}
