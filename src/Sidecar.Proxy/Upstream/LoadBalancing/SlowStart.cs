using Sidecar.Model;

namespace Sidecar.Proxy.Upstream.LoadBalancing;

/// <summary>
/// Envoy's slow start (Istio's DestinationRule <c>loadBalancer.warmup</c>), for ROUND_ROBIN and LEAST_REQUEST: an
/// endpoint added less than a window ago weighs <c>weight * max(minWeightPercent, (age / window) ^ (1 / aggression))</c>,
/// so a new pod's share grows over the window instead of arriving at once. Endpoints added together grow together:
/// at a cluster's creation nothing changes.
/// </summary>
internal sealed class SlowStart
{
    private readonly TimeProvider _time;
    private readonly long _windowTicks;
    private readonly double _window;
    private readonly double _inverseAggression;
    private readonly double _minimum;
    private readonly long _firstStart;
    private readonly long _lastStart;

    private SlowStart(ClusterConfig cluster, TimeSpan window, EndpointState[] endpoints, TimeProvider time)
    {
        _time = time;
        _window = window.TotalSeconds;
        _windowTicks = (long)(window.TotalSeconds * time.TimestampFrequency);
        _inverseAggression = 1.0 / cluster.SlowStartAggression;
        _minimum = Math.Clamp(cluster.SlowStartMinWeightPercent / 100.0, 0, 1);
        _firstStart = endpoints.Length == 0 ? 0 : endpoints.Min(e => e.AddedAt);
        _lastStart = endpoints.Length == 0 ? 0 : endpoints.Max(e => e.AddedAt);
    }

    /// <summary>The slow start of <paramref name="cluster"/>'s balancer over <paramref name="endpoints"/>; null when it has none.</summary>
    public static SlowStart? For(ClusterConfig cluster, EndpointState[] endpoints, TimeProvider time) =>
        cluster.SlowStartWindow is { } window && window > TimeSpan.Zero && cluster.LbPolicy is LoadBalancerPolicy.RoundRobin or LoadBalancerPolicy.LeastRequest
            ? new SlowStart(cluster, window, endpoints, time)
            : null;

    /// <summary>The current time, or null when the weights are plain: every endpoint of the set past its window, or all
    /// of them added together (their weights grow alike, so no share changes and round robin keeps its order).</summary>
    public long? Now()
    {
        if (_firstStart == _lastStart)
        {
            return null;
        }

        var now = _time.GetTimestamp();
        return now - _lastStart >= _windowTicks ? null : now;
    }

    /// <summary>The endpoint's weight at <paramref name="now"/>.</summary>
    public double Weight(EndpointState endpoint, long now)
    {
        var age = now - endpoint.AddedAt;
        if (age >= _windowTicks)
        {
            return endpoint.Weight;
        }

        // Envoy counts at least a millisecond of age.
        var timeFactor = Math.Max(age / (double)_time.TimestampFrequency, 0.001) / _window;
        var factor = _inverseAggression == 1.0 ? timeFactor : Math.Pow(timeFactor, _inverseAggression);
        return endpoint.Weight * Math.Max(factor, _minimum);
    }

    /// <summary>A random pick by the weights at <paramref name="now"/>.</summary>
    public EndpointState PickWeightedRandom(ReadOnlySpan<EndpointState> eligible, long now, Random random)
    {
        var total = 0.0;
        foreach (var endpoint in eligible)
        {
            total += Weight(endpoint, now);
        }

        var draw = random.NextDouble() * total;
        foreach (var endpoint in eligible)
        {
            draw -= Weight(endpoint, now);
            if (draw < 0)
            {
                return endpoint;
            }
        }

        return eligible[^1];
    }
}
