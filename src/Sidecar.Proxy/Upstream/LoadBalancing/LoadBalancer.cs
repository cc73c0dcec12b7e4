using Sidecar.Model;

namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Picks one endpoint from the eligible (healthy, not ejected) set. Built once per endpoint set; picking allocates
/// nothing. <paramref name="hash"/> is the request's hash-policy value for hash-based balancers.
/// </summary>
internal abstract class LoadBalancer
{
    public abstract EndpointState? Pick(ReadOnlySpan<EndpointState> eligible, ulong? hash, Random random);

    /// <summary>Builds the balancer for a cluster's policy over its endpoint set.</summary>
    /// <param name="time">The clock of slow start (<see cref="SlowStart"/>); the system's when not given.</param>
    public static LoadBalancer Create(ClusterConfig cluster, EndpointState[] endpoints, TimeProvider? time = null) => cluster.LbPolicy switch
    {
        LoadBalancerPolicy.RoundRobin => new RoundRobinBalancer(endpoints, SlowStart.For(cluster, endpoints, time ?? TimeProvider.System)),
        LoadBalancerPolicy.Random => new RandomBalancer(),
        LoadBalancerPolicy.RingHash => new RingHashBalancer(endpoints, cluster.MinimumRingSize),
        LoadBalancerPolicy.Maglev => new MaglevBalancer(endpoints),
        _ => new LeastRequestBalancer(cluster.LeastRequestChoiceCount, SlowStart.For(cluster, endpoints, time ?? TimeProvider.System)),
    };

    /// <summary>A weighted random pick over <paramref name="eligible"/> (uniform when weights are equal).</summary>
    protected static EndpointState PickWeightedRandom(ReadOnlySpan<EndpointState> eligible, Random random)
    {
        var total = 0L;
        var uniform = true;
        var first = eligible[0].Weight;
        foreach (var endpoint in eligible)
        {
            total += endpoint.Weight;
            uniform &= endpoint.Weight == first;
        }

        if (uniform)
        {
            return eligible[random.Next(eligible.Length)];
        }

        var draw = random.NextInt64(total);
        foreach (var endpoint in eligible)
        {
            draw -= endpoint.Weight;
            if (draw < 0)
            {
                return endpoint;
            }
        }

        return eligible[^1];
    }
}
