namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Envoy's priority load at one moment (<c>recalculatePerPriorityState</c>): each level takes its availability's
/// share, in order, of the 100% (normalized when the levels together are under 100); a level is in panic when the
/// levels cannot carry the traffic and its own healthy share is under the panic threshold, and then balances over
/// all its endpoints.
/// </summary>
internal sealed class PriorityAvailability
{
    private readonly LevelAvailability[] _levels;
    private readonly int[] _load;
    private readonly int _totalAvailability;

    public PriorityAvailability(LevelAvailability[] levels, int totalAvailability)
    {
        _levels = levels;
        _totalAvailability = totalAvailability;
        _load = new int[levels.Length];
        if (totalAvailability == 0)
        {
            // Nothing available anywhere: everything to the first level, which will be in panic.
            _load[0] = 100;
            return;
        }

        var remaining = 100;
        for (var i = 0; i < levels.Length; i++)
        {
            _load[i] = Math.Min(remaining, levels[i].Health * 100 / totalAvailability);
            remaining -= _load[i];
        }

        // Rounding leftovers go to the first level that takes traffic, as Envoy's do.
        if (remaining > 0)
        {
            _load[Array.FindIndex(_load, l => l > 0) is var first and >= 0 ? first : 0] += remaining;
        }
    }

    /// <summary>
    /// The endpoints the balancer chooses among for one request: a level drawn by load, then a locality by effective
    /// weight. With <paramref name="avoidPriorities"/> (Envoy's <c>previous_priorities</c> retry priority), the levels
    /// of the endpoints already tried count as unavailable, unless that leaves none.
    /// </summary>
    public ReadOnlySpan<EndpointState> Candidates(Random random, int panicThresholdPercent, ReadOnlySpan<EndpointState?> avoidPriorities = default)
    {
        var index = avoidPriorities.IsEmpty ? -1 : PickLevelAvoiding(random, avoidPriorities);
        var level = _levels[index >= 0 ? index : PickLevel(random, panicThresholdPercent)];
        var panic = InPanic(level, panicThresholdPercent);
        if (level.Localities is { } localities && PickLocality(localities, random) is { } locality)
        {
            return panic || locality.Eligible.Length == 0 ? locality.All : locality.Eligible;
        }

        return panic ? level.All : level.Eligible;
    }

    private int PickLevel(Random random, int panicThresholdPercent)
    {
        if (_levels.Length == 1)
        {
            return 0;
        }

        if (AllInPanic(panicThresholdPercent))
        {
            // Envoy's total panic: load by each level's share of all endpoints.
            var hosts = 0;
            foreach (var level in _levels)
            {
                hosts += level.All.Length;
            }

            var pick = random.Next(hosts);
            for (var i = 0; i < _levels.Length; i++)
            {
                pick -= _levels[i].All.Length;
                if (pick < 0)
                {
                    return i;
                }
            }
        }

        var draw = random.Next(100);
        for (var i = 0; i < _load.Length; i++)
        {
            draw -= _load[i];
            if (draw < 0)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>A level by the load recomputed with the tried levels' availability at zero; -1 when none was tried or nothing else is available.</summary>
    private int PickLevelAvoiding(Random random, ReadOnlySpan<EndpointState?> tried)
    {
        var total = 0;
        var anyTried = false;
        Span<int> health = _levels.Length <= 16 ? stackalloc int[_levels.Length] : new int[_levels.Length];
        for (var i = 0; i < _levels.Length; i++)
        {
            var excluded = WasTried(_levels[i].Priority, tried);
            anyTried |= excluded;
            health[i] = excluded ? 0 : _levels[i].Health;
            total += health[i];
        }

        if (!anyTried || total == 0)
        {
            return -1;
        }

        total = Math.Min(100, total);
        var draw = random.Next(100);
        var remaining = 100;
        for (var i = 0; i < _levels.Length; i++)
        {
            var load = Math.Min(remaining, health[i] * 100 / total);
            remaining -= load;
            draw -= load;
            if (draw < 0)
            {
                return i;
            }
        }

        // Rounding leftovers: the first level that is available.
        for (var i = 0; i < _levels.Length; i++)
        {
            if (health[i] > 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool WasTried(int priority, ReadOnlySpan<EndpointState?> tried)
    {
        foreach (var endpoint in tried)
        {
            if (endpoint is not null && endpoint.Config.Priority == priority)
            {
                return true;
            }
        }

        return false;
    }

    private bool AllInPanic(int panicThresholdPercent)
    {
        foreach (var level in _levels)
        {
            if (!InPanic(level, panicThresholdPercent))
            {
                return false;
            }
        }

        return true;
    }

    private bool InPanic(LevelAvailability level, int panicThresholdPercent) =>
        _totalAvailability < 100 && panicThresholdPercent > 0 && level.Eligible.Length * 100 < panicThresholdPercent * level.All.Length;

    private static LocalityAvailability? PickLocality(LocalityAvailability[] localities, Random random)
    {
        long total = 0;
        foreach (var locality in localities)
        {
            total += locality.EffectiveWeight;
        }

        if (total == 0)
        {
            return null;
        }

        var draw = random.NextInt64(total);
        foreach (var locality in localities)
        {
            draw -= locality.EffectiveWeight;
            if (draw < 0)
            {
                return locality;
            }
        }

        return localities[^1];
    }
}
