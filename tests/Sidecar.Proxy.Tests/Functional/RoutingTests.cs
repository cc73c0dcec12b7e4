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
    public async Task Unknown_host_without_catch_all_is_404_NR()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name, new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/reviews") })], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", "/other");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NR", response.Headers.GetValues("x-envoy-response-flags").Single());
    }
}
