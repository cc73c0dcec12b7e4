namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Istio's ROUND_ROBIN. Equal weights cycle through the eligible endpoints; unequal weights follow a smooth weighted
/// schedule computed once per endpoint set (the interleaving Envoy's EDF scheduler produces). While an endpoint is in
/// slow start, picks are random by the weights the endpoints have grown to, the share Envoy's scheduler gives them.
/// </summary>
internal sealed class RoundRobinBalancer : LoadBalancer
{
    private const int MaxScheduleLength = 4096;
    private readonly EndpointState[] _endpoints;
    private readonly int[]? _schedule;
    private readonly SlowStart? _slowStart;
    private int _next = -1;

    public RoundRobinBalancer(EndpointState[] endpoints, SlowStart? slowStart = null)
    {
        _endpoints = endpoints;
        _slowStart = slowStart;
        if (endpoints.Length > 1 && endpoints.Any(e => e.Weight != endpoints[0].Weight))
        {
            _schedule = BuildSmoothSchedule(endpoints);
        }
    }

    public override EndpointState? Pick(ReadOnlySpan<EndpointState> eligible, ulong? hash, Random random)
    {
        if (eligible.IsEmpty)
        {
            return null;
        }

        if (_slowStart?.Now() is { } now)
        {
            return _slowStart.PickWeightedRandom(eligible, now, random);
        }

        var ticket = (uint)Interlocked.Increment(ref _next);
        if (_schedule is null || eligible.Length != _endpoints.Length)
        {
            // Equal weights, or some endpoints ejected: plain rotation over what is eligible.
            return eligible[(int)(ticket % (uint)eligible.Length)];
        }

        return _endpoints[_schedule[ticket % (uint)_schedule.Length]];
    }

    /// <summary>Smooth weighted round robin (each step: add weights, take the largest, subtract the total).</summary>
    private static int[] BuildSmoothSchedule(EndpointState[] endpoints)
    {
        var weights = endpoints.Select(e => (long)e.Weight).ToArray();
        var gcd = weights.Aggregate(Gcd);
        var total = weights.Sum() / gcd;
        var length = (int)Math.Min(total, MaxScheduleLength);
        var current = new long[endpoints.Length];
        var schedule = new int[length];
        for (var step = 0; step < length; step++)
        {
            var best = 0;
            for (var i = 0; i < endpoints.Length; i++)
            {
                current[i] += weights[i] / gcd;
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= total;
            schedule[step] = best;
        }

        return schedule;

        static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
    }
}
