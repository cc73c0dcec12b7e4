using System.Diagnostics;
using System.Net;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Envoy's fault filter, from Istio's HTTPFaultInjection (percentage.value -> FractionalPercent per million).</summary>
public sealed class FaultTests
{
    private static RouteConfig WithFault(string cluster, FaultConfig fault) => RouteTo(cluster) with { Fault = fault };

    [Fact]
    public async Task Abort_at_100_percent_is_the_configured_status_with_flag_FI()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var fault = new FaultConfig { Abort = new AbortFaultConfig(503, null, Percentage.Full) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [WithFault(cluster.Name, fault)], [cluster]));

        using var response = await proxy.SendAsync("ratings:9080");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("FI", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("fault filter abort", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task Grpc_abort_is_a_trailers_only_response_with_grpc_status()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var fault = new FaultConfig { Abort = new AbortFaultConfig(null, 14, Percentage.Full) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [WithFault(cluster.Name, fault)], [cluster]));

        using var response = await proxy.SendAsync("ratings:9080", "/pkg.Svc/Method", HttpMethod.Post, r =>
            r.Content = new ByteArrayContent([0, 0, 0, 0, 0]) { Headers = { { "content-type", "application/grpc" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("14", response.Headers.GetValues("grpc-status").Single());
    }

    [Fact]
    public async Task Delay_at_100_percent_holds_the_request_then_forwards_it_with_flag_DI()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var fault = new FaultConfig { Delay = new DelayFaultConfig(TimeSpan.FromMilliseconds(500), Percentage.Full) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [WithFault(cluster.Name, fault)], [cluster]));

        var clock = Stopwatch.StartNew();
        using var response = await proxy.SendAsync("ratings:9080");

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(480), $"took {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DI", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task Partial_abort_percentage_holds_within_statistical_bounds()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var fault = new FaultConfig { Abort = new AbortFaultConfig(500, null, Percentage.FromPercent(30)) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [WithFault(cluster.Name, fault)], [cluster]));

        const int n = 600;
        var aborted = 0;
        for (var i = 0; i < n; i++)
        {
            using var response = await proxy.SendAsync("ratings:9080");
            if (response.StatusCode == HttpStatusCode.InternalServerError)
            {
                aborted++;
            }
        }

        // Binomial(600, 0.3): mean 180, sd ~11.2; accept +-5 sd.
        Assert.InRange(aborted, 124, 236);
        Assert.Equal(n - aborted, backend.RequestCount);
    }

    [Fact]
    public async Task Partial_delay_percentage_holds_within_statistical_bounds()
    {
        await using var backend = await TestBackend.StartAsync("ratings");
        var cluster = Cluster("ratings", 9080, null, Endpoint(backend));
        var fault = new FaultConfig { Delay = new DelayFaultConfig(TimeSpan.FromMilliseconds(1), Percentage.FromPercent(50)) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "ratings", [WithFault(cluster.Name, fault)], [cluster]));

        const int n = 400;
        var delayed = 0;
        for (var i = 0; i < n; i++)
        {
            using var response = await proxy.SendAsync("ratings:9080");
            if (response.Headers.TryGetValues("x-envoy-response-flags", out var flags) && flags.Single() == "DI")
            {
                delayed++;
            }
        }

        // Binomial(400, 0.5): mean 200, sd 10; accept +-5 sd.
        Assert.InRange(delayed, 150, 250);
    }
}
