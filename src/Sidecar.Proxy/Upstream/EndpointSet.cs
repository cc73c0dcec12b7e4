using Sidecar.Proxy.Upstream.LoadBalancing;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// An immutable view of a cluster's endpoints and the balancer built over them, replaced as a whole when the
/// endpoints change (config push, DNS refresh). The eligible subset (not ejected) is cached and recomputed only when
/// an ejection starts or ends, with the priority levels' availability when the endpoints have priorities or
/// locality weights.
/// </summary>
internal sealed class EndpointSet
{
    private EndpointState[] _eligible;
    private PriorityAvailability? _availability;
    private long _eligibleValidUntil;

    public EndpointSet(EndpointState[] all, LoadBalancer balancer)
    {
        All = all;
        Healthy = all.Where(e => e.IsHealthy).ToArray();
        Balancer = balancer;
        Levels = PriorityLevels.For(all);
        _eligible = Healthy;
        // With levels, the first pick computes their availability (and sees endpoints a previous set ejected).
        _eligibleValidUntil = Levels is null ? long.MaxValue : long.MinValue;
    }

    /// <summary>The priority levels and locality weights, or null when the set is balanced flat (the common case).</summary>
    public PriorityLevels? Levels { get; }

    /// <summary>Every endpoint, whatever its health.</summary>
    public EndpointState[] All { get; }

    /// <summary>Endpoints the source reports healthy (EDS health status).</summary>
    public EndpointState[] Healthy { get; }

    public LoadBalancer Balancer { get; }

    /// <summary>Healthy endpoints that are not ejected at <paramref name="now"/>.</summary>
    public EndpointState[] Eligible(long now)
    {
        if (now < Volatile.Read(ref _eligibleValidUntil))
        {
            return Volatile.Read(ref _eligible);
        }

        Recompute(now);
        return Volatile.Read(ref _eligible);
    }

    /// <summary>The levels' availability at <paramref name="now"/>; only for a set with <see cref="Levels"/>.</summary>
    public PriorityAvailability Availability(long now)
    {
        if (now >= Volatile.Read(ref _eligibleValidUntil))
        {
            Recompute(now);
        }

        return Volatile.Read(ref _availability)!;
    }

    /// <summary>Called after an ejection so the next pick sees it.</summary>
    public void Invalidate() => Volatile.Write(ref _eligibleValidUntil, long.MinValue);

    private void Recompute(long now)
    {
        var eligible = new List<EndpointState>(Healthy.Length);
        var validUntil = long.MaxValue;
        foreach (var endpoint in Healthy)
        {
            if (endpoint.IsEjected(now))
            {
                validUntil = Math.Min(validUntil, endpoint.EjectedUntil);
            }
            else
            {
                eligible.Add(endpoint);
            }
        }

        Volatile.Write(ref _eligible, eligible.Count == Healthy.Length ? Healthy : eligible.ToArray());
        Volatile.Write(ref _availability, Levels?.Compute(now));
        Volatile.Write(ref _eligibleValidUntil, validUntil);
    }
}
