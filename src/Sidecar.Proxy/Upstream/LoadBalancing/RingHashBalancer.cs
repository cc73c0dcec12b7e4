using System.IO.Hashing;
using System.Text;

namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Envoy's RING_HASH (Istio's <c>consistentHash</c> with <c>ringHash</c>, or the legacy <c>minimumRingSize</c>):
/// each endpoint owns entries on a 64-bit ring in proportion to its weight, keyed by xxHash64 of
/// <c>address:port_i</c>; a request goes to the first entry at or after its hash, so a key keeps its endpoint while
/// the endpoint set is unchanged and moves minimally when it changes.
/// </summary>
internal sealed class RingHashBalancer : LoadBalancer
{
    private const int MaxRingSize = 8 * 1024 * 1024;
    private readonly ulong[] _hashes;
    private readonly EndpointState[] _owners;
    private readonly int _endpointCount;

    public RingHashBalancer(EndpointState[] endpoints, int minimumRingSize)
    {
        _endpointCount = endpoints.Length;
        if (endpoints.Length == 0)
        {
            _hashes = [];
            _owners = [];
            return;
        }

        var totalWeight = endpoints.Sum(e => (double)e.Weight);
        var minWeight = endpoints.Min(e => e.Weight) / totalWeight;
        // Envoy: scale so the lightest host gets at least one entry and the ring has at least minimum_ring_size.
        var scale = Math.Min(Math.Ceiling(minWeight * Math.Max(minimumRingSize, 1)) / minWeight, MaxRingSize);
        var entries = new List<(ulong Hash, EndpointState Owner)>((int)Math.Min(scale, MaxRingSize) + endpoints.Length);
        var buffer = new byte[256];
        foreach (var endpoint in endpoints)
        {
            var count = (int)Math.Max(1, Math.Round(endpoint.Weight / totalWeight * scale));
            for (var i = 0; i < count; i++)
            {
                var length = Encoding.UTF8.GetBytes($"{endpoint.Key}_{i}", buffer);
                entries.Add((XxHash64.HashToUInt64(buffer.AsSpan(0, length)), endpoint));
            }
        }

        entries.Sort((a, b) => a.Hash.CompareTo(b.Hash));
        _hashes = entries.Select(e => e.Hash).ToArray();
        _owners = entries.Select(e => e.Owner).ToArray();
    }

    public int RingSize => _hashes.Length;

    public override EndpointState? Pick(ReadOnlySpan<EndpointState> eligible, ulong? hash, Random random)
    {
        if (eligible.IsEmpty || _hashes.Length == 0)
        {
            return null;
        }

        if (hash is not { } key)
        {
            // No hash input on this request: Envoy picks a random entry.
            return PickWeightedRandom(eligible, random);
        }

        var index = Array.BinarySearch(_hashes, key);
        if (index < 0)
        {
            index = ~index;
        }

        var restricted = eligible.Length != _endpointCount;
        for (var step = 0; step < _owners.Length; step++)
        {
            var owner = _owners[(index + step) % _owners.Length];
            if (!restricted || eligible.Contains(owner))
            {
                return owner;
            }
        }

        return null;
    }
}
