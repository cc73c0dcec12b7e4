using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>
/// DestinationRule connectionPool settings that decide when an upstream connection is replaced: Istio's
/// <c>http.maxRequestsPerConnection</c> (Envoy's <c>max_requests_per_connection</c>) and <c>tcp.maxConnectionDuration</c>.
/// The backend answers with the id of the connection each request arrived on.
/// </summary>
public sealed class ConnectionReuseTests
{
    [Theory]
    [InlineData(null, 1)]
    [InlineData(1, 6)]
    [InlineData(2, 3)]
    public async Task MaxRequestsPerConnection_opens_a_new_connection_after_that_many_requests(int? maxRequests, int expectedConnections)
    {
        await using var backend = await TestBackend.StartAsync("reviews", (context, _) => context.Response.WriteAsync(context.Connection.Id));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with { MaxRequestsPerConnection = maxRequests };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var connections = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.SendAsync("reviews:9080");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            connections.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(expectedConnections, connections.Distinct().Count());
        Assert.Equal(6, backend.RequestCount);
    }

    [Fact]
    public async Task MaxConnectionDuration_retires_a_connection_once_it_is_that_old()
    {
        await using var backend = await TestBackend.StartAsync("reviews", (context, _) => context.Response.WriteAsync(context.Connection.Id));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with { MaxConnectionDuration = TimeSpan.FromMilliseconds(300) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var first = await proxy.SendAsync("reviews:9080");
        var firstConnection = await first.Content.ReadAsStringAsync();
        using var second = await proxy.SendAsync("reviews:9080");
        Assert.Equal(firstConnection, await second.Content.ReadAsStringAsync());

        // Requests keep coming until one lands on a new connection: the first one has outlived its duration.
        await Wait.UntilAsync(
            async () =>
            {
                using var response = await proxy.SendAsync("reviews:9080");
                return await response.Content.ReadAsStringAsync() != firstConnection;
            },
            TimeSpan.FromSeconds(10),
            "a request on a new upstream connection after maxConnectionDuration");
    }
}
