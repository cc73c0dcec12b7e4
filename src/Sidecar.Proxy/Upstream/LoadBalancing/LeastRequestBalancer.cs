namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Istio's default LEAST_REQUEST: Envoy's power-of-N-choices. Draw <c>choice_count</c> endpoints at random (by
/// weight) and keep the one with the fewest active requests relative to its weight (during slow start, the weight
/// it has grown to).
/// </summary>
internal sealed class LeastRequestBalancer : LoadBalancer
{
    private readonly int _choices;
    private readonly SlowStart? _slowStart;

    public LeastRequestBalancer(int choiceCount, SlowStart? slowStart = null)
    {
        _choices = Math.Max(2, choiceCount);
        _slowStart = slowStart;
    }

    public override EndpointState? Pick(ReadOnlySpan<EndpointState> eligible, ulong? hash, Random random)
    {
        if (eligible.IsEmpty)
        {
            return null;
        }

        if (eligible.Length == 1)
        {
            return eligible[0];
        }

        if (_slowStart?.Now() is { } now)
        {
            return PickDuringSlowStart(eligible, _slowStart, now, random);
        }

        var best = PickWeightedRandom(eligible, random);
        for (var i = 1; i < _choices; i++)
        {
            var candidate = PickWeightedRandom(eligible, random);
            // Compare active/weight without division: a/wa < b/wb  <=>  a*wb < b*wa.
            if ((long)candidate.ActiveRequests * best.Weight < (long)best.ActiveRequests * candidate.Weight)
            {
                best = candidate;
            }
        }

        return best;
    }

    private EndpointState PickDuringSlowStart(ReadOnlySpan<EndpointState> eligible, SlowStart slowStart, long now, Random random)
    {
        var best = slowStart.PickWeightedRandom(eligible, now, random);
        for (var i = 1; i < _choices; i++)
        {
            var candidate = slowStart.PickWeightedRandom(eligible, now, random);
            if (candidate.ActiveRequests * slowStart.Weight(best, now) < best.ActiveRequests * slowStart.Weight(candidate, now))
            {
                best = candidate;
            }
        }

        return best;
    }
}
