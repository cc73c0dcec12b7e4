using Sidecar.Model;
using Sidecar.Proxy.Upstream;
using Sidecar.Proxy.Upstream.LoadBalancing;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>
/// Envoy's priority load (overprovisioning factor 1.4, arch_overview/upstream/load_balancing/priority) and
/// locality-weighted balancing over endpoint sets with the priorities and weights istiod's locality LB writes.
/// </summary>
public sealed class PriorityLevelsTests
{
    private const long Now = 1_000;

    [Fact]
    public void A_flat_set_has_no_levels()
    {
        Assert.Null(PriorityLevels.For([Endpoint(1, 0), Endpoint(2, 0)]));
    }

    [Fact]
    public void Priority_0_keeps_all_traffic_while_its_overprovisioned_availability_reaches_100_percent()
    {
        // 3 of 4 healthy: 75% x 1.4 = 105% -> P0 takes everything.
        var p0 = new[] { Endpoint(1, 0), Endpoint(2, 0), Endpoint(3, 0), Endpoint(4, 0) };
        var p1 = Endpoint(5, 1);
        p0[0].Eject(long.MaxValue);
        var availability = PriorityLevels.For([.. p0, p1])!.Compute(Now);

        var shares = Shares(availability, 10_000);

        Assert.Equal(0, shares.GetValueOrDefault(p1));
        Assert.Equal(0, shares.GetValueOrDefault(p0[0]));
    }

    [Fact]
    public void Traffic_spills_to_priority_1_in_proportion_to_what_priority_0_cannot_carry()
    {
        // 2 of 4 healthy: 50% x 1.4 = 70% to P0, the remaining 30% to P1.
        var p0 = new[] { Endpoint(1, 0), Endpoint(2, 0), Endpoint(3, 0), Endpoint(4, 0) };
        var p1 = Endpoint(5, 1);
        p0[0].Eject(long.MaxValue);
        p0[1].Eject(long.MaxValue);
        var availability = PriorityLevels.For([.. p0, p1])!.Compute(Now);

        var shares = Shares(availability, 10_000);

        // Binomial(10000, 0.3): sd ~46; accept +-5 sd.
        Assert.InRange(shares.GetValueOrDefault(p1), 2770, 3230);
    }

    [Fact]
    public void Locality_weights_split_a_level_and_an_unavailable_locality_loses_its_share()
    {
        var zone1 = Endpoint(1, 0, "us-west/zone1", 80);
        var zone2 = Endpoint(2, 0, "us-west/zone2", 20);
        var levels = PriorityLevels.For([zone1, zone2])!;

        var shares = Shares(levels.Compute(Now), 10_000);
        // Binomial(10000, 0.2): sd 40; accept +-5 sd.
        Assert.InRange(shares.GetValueOrDefault(zone2), 1800, 2200);

        zone1.Eject(long.MaxValue);
        Assert.Equal(10_000, Shares(levels.Compute(Now), 10_000).GetValueOrDefault(zone2));
    }

    [Fact]
    public void When_every_level_is_in_panic_each_balances_over_all_its_endpoints()
    {
        // P0: one of two left (availability 70%); P1: none healthy. Together under 100% and each under the 60%
        // threshold: Envoy's total panic, levels drawn by their share of all endpoints, each over all its endpoints.
        var p0 = new[] { Endpoint(1, 0), Endpoint(2, 0) };
        var p1 = Endpoint(3, 1, health: EndpointHealth.Unhealthy);
        p0[0].Eject(long.MaxValue);
        var availability = PriorityLevels.For([.. p0, p1])!.Compute(Now);
        var random = new Random(7);

        var sizes = Enumerable.Range(0, 300).Select(_ => availability.Candidates(random, panicThresholdPercent: 60).ToArray()).ToList();
        Assert.All(sizes, c => Assert.True(c.SequenceEqual(p0) || c.SequenceEqual([p1])));
        Assert.Contains(sizes, c => c.Length == 1);

        // Panic off (Istio's minHealthPercent 0): only what is eligible, the one endpoint left.
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal([p0[1]], availability.Candidates(random, panicThresholdPercent: 0).ToArray()));
    }

    [Fact]
    public void A_retry_with_previous_priorities_avoids_the_level_already_tried()
    {
        // retryRemoteLocalities -> Envoy's previous_priorities: P0 is fully available, but it was tried.
        var p0 = Endpoint(1, 0);
        var p1 = Endpoint(2, 1);
        var availability = PriorityLevels.For([p0, p1])!.Compute(Now);
        var random = new Random(3);

        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal([p1], availability.Candidates(random, 0, [p0]).ToArray()));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal([p0], availability.Candidates(random, 0, [null]).ToArray()));
        // Every level tried: the normal load again.
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal([p0], availability.Candidates(random, 0, [p0, p1]).ToArray()));
    }

    private static Dictionary<EndpointState, int> Shares(PriorityAvailability availability, int draws)
    {
        var random = new Random(42);
        var shares = new Dictionary<EndpointState, int>();
        for (var i = 0; i < draws; i++)
        {
            var candidates = availability.Candidates(random, panicThresholdPercent: 0);
            var pick = candidates[random.Next(candidates.Length)];
            shares[pick] = shares.GetValueOrDefault(pick) + 1;
        }

        return shares;
    }

    private static EndpointState Endpoint(int id, int priority, string? locality = null, int? localityWeight = null, EndpointHealth health = EndpointHealth.Healthy)
    {
        var address = $"10.0.0.{id}";
        return new EndpointState(new EndpointConfig { Address = address, Port = 9080, Priority = priority, Locality = locality, LocalityWeight = localityWeight, Health = health }, address);
    }
}
