namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>Istio's RANDOM: a weighted random endpoint.</summary>
internal sealed class RandomBalancer : LoadBalancer
{
    public override EndpointState? Pick(ReadOnlySpan<EndpointState> eligible, ulong? hash, Random random) =>
        eligible.IsEmpty ? null : PickWeightedRandom(eligible, random);
}
