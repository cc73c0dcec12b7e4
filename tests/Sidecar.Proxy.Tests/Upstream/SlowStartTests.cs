using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>
/// Envoy's slow start (Istio's <c>loadBalancer.warmup</c>): an endpoint added to a running cluster gets
/// <c>max(minWeightPercent, (age / window) ^ (1 / aggression))</c> of its weight until the window has passed.
/// </summary>
public sealed class SlowStartTests
{
    private const int Picks = 20_000;

    [Theory]
    [InlineData(LoadBalancerPolicy.LeastRequest)]
    [InlineData(LoadBalancerPolicy.RoundRobin)]
    public void A_new_endpoints_share_grows_over_the_window_from_the_minimum(LoadBalancerPolicy policy)
    {
        var time = new FakeTimeProvider();
        var config = Cluster(policy, aggression: 1.0, "10.0.0.1");
        using var cluster = new ClusterState(config, time, NullLogger.Instance);
        time.Advance(TimeSpan.FromMinutes(5)); // the first endpoint is long past its window
        cluster.Update(config with { Endpoints = [Endpoint("10.0.0.1"), Endpoint("10.0.0.2")] });

        // Just added: 10% of its weight, 0.1 / 1.1 of the picks.
        Assert.InRange(ShareOf(cluster, "10.0.0.2"), 0.07, 0.11);
        time.Advance(TimeSpan.FromSeconds(30)); // half the window: half its weight, a third of the picks
        Assert.InRange(ShareOf(cluster, "10.0.0.2"), 0.30, 0.37);
        time.Advance(TimeSpan.FromSeconds(31)); // past the window: an equal share
        Assert.InRange(ShareOf(cluster, "10.0.0.2"), 0.47, 0.53);
    }

    [Fact]
    public void Aggression_bends_the_curve_and_endpoints_added_together_share_equally()
    {
        var time = new FakeTimeProvider();
        var config = Cluster(LoadBalancerPolicy.RoundRobin, aggression: 2.0, "10.0.0.1");
        using var cluster = new ClusterState(config, time, NullLogger.Instance);
        time.Advance(TimeSpan.FromMinutes(5));
        cluster.Update(config with { Endpoints = [Endpoint("10.0.0.1"), Endpoint("10.0.0.2")] });
        time.Advance(TimeSpan.FromSeconds(15));

        // A quarter of the window with aggression 2: (1/4)^(1/2) = half the weight, a third of the picks.
        Assert.InRange(ShareOf(cluster, "10.0.0.2"), 0.30, 0.37);

        // A cluster whose endpoints all start together is not skewed, and round robin keeps its order.
        using var fresh = new ClusterState(config with { Endpoints = [Endpoint("10.0.0.1"), Endpoint("10.0.0.2")] }, time, NullLogger.Instance);
        var random = new Random(7);
        var order = Enumerable.Range(0, 4).Select(_ => fresh.PickEndpoint(null, random)!.Address).ToArray();
        Assert.Equal(order[0], order[2]);
        Assert.Equal(order[1], order[3]);
        Assert.NotEqual(order[0], order[1]);
    }

    private static ClusterConfig Cluster(LoadBalancerPolicy policy, double aggression, params string[] addresses) => new()
    {
        Name = "outbound|9080||reviews.default.svc.cluster.local",
        LbPolicy = policy,
        Endpoints = [.. addresses.Select(Endpoint)],
        SlowStartWindow = TimeSpan.FromSeconds(60),
        SlowStartAggression = aggression,
        SlowStartMinWeightPercent = 10,
    };

    private static EndpointConfig Endpoint(string address) => new() { Address = address, Port = 9080 };

    private static double ShareOf(ClusterState cluster, string address)
    {
        var random = new Random(7);
        var hits = 0;
        for (var i = 0; i < Picks; i++)
        {
            if (cluster.PickEndpoint(null, random)!.Address == address)
            {
                hits++;
            }
        }

        return hits / (double)Picks;
    }
}
