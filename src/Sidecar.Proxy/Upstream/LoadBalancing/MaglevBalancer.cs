using System.IO.Hashing;
using System.Text;

namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Envoy's MAGLEV (Istio's <c>consistentHash.maglev</c>): a lookup table of prime size 65537 filled from each
/// endpoint's permutation (offset and skip from two xxHash64 seeds of its address), weighted by turns. A request's
/// hash indexes the table.
/// </summary>
internal sealed class MaglevBalancer : LoadBalancer
{
    private const int TableSize = 65537;
    private readonly EndpointState[] _table;
    private readonly int _endpointCount;

    public MaglevBalancer(EndpointState[] endpoints)
    {
        _endpointCount = endpoints.Length;
        _table = endpoints.Length == 0 ? [] : Build(endpoints);
    }

    public override EndpointState? Pick(ReadOnlySpan<EndpointState> eligible, ulong? hash, Random random)
    {
        if (eligible.IsEmpty || _table.Length == 0)
        {
            return null;
        }

        if (hash is not { } key)
        {
            return PickWeightedRandom(eligible, random);
        }

        var restricted = eligible.Length != _endpointCount;
        var start = (int)(key % TableSize);
        for (var step = 0; step < TableSize; step++)
        {
            var owner = _table[(start + step) % TableSize];
            if (!restricted || eligible.Contains(owner))
            {
                return owner;
            }
        }

        return null;
    }

    private static EndpointState[] Build(EndpointState[] endpoints)
    {
        var n = endpoints.Length;
        var offsets = new long[n];
        var skips = new long[n];
        var next = new long[n];
        var maxWeight = endpoints.Max(e => e.Weight);
        var credit = new double[n];
        for (var i = 0; i < n; i++)
        {
            var key = Encoding.UTF8.GetBytes(endpoints[i].Key);
            offsets[i] = (long)(XxHash64.HashToUInt64(key, 0) % TableSize);
            skips[i] = (long)(XxHash64.HashToUInt64(key, 1) % (TableSize - 1)) + 1;
        }

        var table = new EndpointState?[TableSize];
        var filled = 0;
        while (filled < TableSize)
        {
            for (var i = 0; i < n && filled < TableSize; i++)
            {
                // Weighted turns: an endpoint claims a slot each time its accumulated share reaches one.
                credit[i] += (double)endpoints[i].Weight / maxWeight;
                if (credit[i] < 1)
                {
                    continue;
                }

                credit[i] -= 1;
                long slot;
                do
                {
                    slot = (offsets[i] + (next[i] * skips[i])) % TableSize;
                    next[i]++;
                }
                while (table[slot] is not null);

                table[slot] = endpoints[i];
                filled++;
            }
        }

        return table!;
    }
}
