namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Istio's default LEAST_REQUEST: Envoy's power-of-N-choices. Draw <c>choice_count</c> endpoints at random (by
/// weight) and keep the one with the fewest active requests relative to its weight.
/// </summary>
internal sealed class LeastRequestBalancer : LoadBalancer
{
    private readonly int _choices;

    public LeastRequestBalancer(int choiceCount) => _choices = Math.Max(2, choiceCount);

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
}
