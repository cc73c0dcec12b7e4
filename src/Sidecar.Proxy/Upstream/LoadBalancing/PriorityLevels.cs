namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Envoy's priority levels and locality-weighted balancing over one endpoint set (the priorities and locality weights
/// istiod's locality load balancing writes). Traffic goes to priority 0 while enough of it is available and spills to
/// the next levels as endpoints become unhealthy or ejected; within a level, a weighted locality is chosen first.
/// Only built when some endpoint has a priority above 0 or a locality weight: otherwise the set is balanced flat.
/// </summary>
internal sealed class PriorityLevels
{
    /// <summary>Envoy's default overprovisioning factor: a level at 72% availability still takes all the traffic (72 x 1.4 >= 100).</summary>
    private const int OverprovisioningFactor = 140;

    private readonly Level[] _levels;

    private PriorityLevels(Level[] levels) => _levels = levels;

    public static PriorityLevels? For(EndpointState[] all)
    {
        if (!all.Any(e => e.Config.Priority != 0 || e.Config.LocalityWeight is not null))
        {
            return null;
        }

        var levels = all
            .GroupBy(e => e.Config.Priority)
            .OrderBy(g => g.Key)
            .Select(g => new Level(g.Key, [.. g], Localities([.. g])))
            .ToArray();
        return new PriorityLevels(levels);
    }

    /// <summary>Which endpoints can take traffic now, and each level's share (recomputed when an ejection starts or ends).</summary>
    public PriorityAvailability Compute(long now)
    {
        var levels = new LevelAvailability[_levels.Length];
        var total = 0;
        for (var i = 0; i < levels.Length; i++)
        {
            var level = _levels[i];
            var eligible = Eligible(level.All, now);
            LocalityAvailability[]? localities = null;
            if (level.Localities is { } groups)
            {
                localities = new LocalityAvailability[groups.Length];
                for (var j = 0; j < groups.Length; j++)
                {
                    var group = groups[j];
                    var groupEligible = Eligible(group.All, now);
                    // Envoy's effective locality weight: its weight scaled by its (overprovisioned) availability.
                    var effective = (long)group.Weight * Health(groupEligible.Length, group.All.Length);
                    localities[j] = new LocalityAvailability(group.All, groupEligible, effective);
                }
            }

            levels[i] = new LevelAvailability(level.Priority, level.All, eligible, Health(eligible.Length, level.All.Length), localities);
            total += levels[i].Health;
        }

        return new PriorityAvailability(levels, Math.Min(100, total));
    }

    private static EndpointState[] Eligible(EndpointState[] endpoints, long now) =>
        endpoints.Where(e => e.IsHealthy && !e.IsEjected(now)).ToArray();

    /// <summary>A level's (or locality's) availability in percent, overprovisioned and capped at 100.</summary>
    private static int Health(int eligible, int total) =>
        total == 0 ? 0 : (int)Math.Min(100, (long)eligible * OverprovisioningFactor / total);

    private static LocalityGroup[]? Localities(EndpointState[] level)
    {
        if (!level.Any(e => e.Config.LocalityWeight is not null))
        {
            return null;
        }

        return level
            .GroupBy(e => e.Config.Locality ?? "", StringComparer.Ordinal)
            .Select(g => new LocalityGroup(g.First().Config.LocalityWeight ?? 0, [.. g]))
            .ToArray();
    }

    private sealed record Level(int Priority, EndpointState[] All, LocalityGroup[]? Localities);

    private sealed record LocalityGroup(int Weight, EndpointState[] All);
}

/// <summary>One level at one moment: its endpoints, the eligible ones, its availability and its localities.</summary>
internal sealed record LevelAvailability(int Priority, EndpointState[] All, EndpointState[] Eligible, int Health, LocalityAvailability[]? Localities);

/// <summary>One weighted locality at one moment: its effective weight is its configured weight times its availability.</summary>
internal sealed record LocalityAvailability(EndpointState[] All, EndpointState[] Eligible, long EffectiveWeight);
