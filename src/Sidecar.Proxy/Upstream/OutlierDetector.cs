using Sidecar.Model;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Envoy's outlier detection for one cluster (Istio's <c>outlierDetection</c>): an endpoint reaching
/// <c>consecutive_5xx</c> or <c>consecutive_gateway_failure</c> is ejected for <c>base_ejection_time</c> times its
/// ejection backoff (capped at 300 s, Envoy's default <c>max_ejection_time</c>), unless the ejection would take the
/// cluster past <c>max_ejection_percent</c>. The backoff grows by one with each ejection and shrinks by one for each
/// <c>interval</c> the endpoint then stays in service. Ejections end lazily: an endpoint is back once its time has
/// passed.
/// </summary>
internal sealed class OutlierDetector
{
    private static readonly TimeSpan MaxEjectionTime = TimeSpan.FromSeconds(300);
    private readonly OutlierDetectionConfig _config;
    private readonly TimeProvider _time;

    public OutlierDetector(OutlierDetectionConfig config, TimeProvider time)
    {
        _config = config;
        _time = time;
    }

    /// <summary>Records an attempt's result; returns true when it ejected the endpoint.</summary>
    /// <param name="endpoint">The endpoint that served the attempt.</param>
    /// <param name="status">The response status, or 0 when there was none.</param>
    /// <param name="localOriginFailure">A connect failure, reset or timeout (no response).</param>
    /// <param name="all">Every endpoint of the cluster (for the ejection cap).</param>
    public bool Record(EndpointState endpoint, int status, bool localOriginFailure, ReadOnlySpan<EndpointState> all)
    {
        // Without split_external_local_origin_errors, local failures count as 5xx (Envoy maps them to 503).
        var split = _config.SplitExternalLocalOriginErrors;
        var is5xx = status >= 500 || (localOriginFailure && !split);
        var isGateway = status is 502 or 503 or 504 || (localOriginFailure && !split);
        var (c5, cg, cl) = endpoint.RecordResult(is5xx, isGateway, localOriginFailure && split);

        var trip = (_config.Consecutive5xx is > 0 and var n5 && c5 >= n5)
            || (_config.ConsecutiveGatewayErrors is > 0 and var ng && cg >= ng)
            || (split && _config.ConsecutiveLocalOriginFailures is > 0 and var nl && cl >= nl);
        if (!trip)
        {
            return false;
        }

        var now = _time.GetTimestamp();
        var ejected = 0;
        foreach (var other in all)
        {
            if (other.IsEjected(now))
            {
                ejected++;
            }
        }

        // Envoy (1.31 on, Istio 1.23 on) ejects only while the ejected share stays within max_ejection_percent;
        // Istio does not set always_eject_one_host, so at the default 10% a cluster of fewer than ten endpoints ejects
        // none.
        if ((ejected + 1) * 100 > _config.MaxEjectionPercent * all.Length)
        {
            return false;
        }

        var backoff = DecayedBackoff(endpoint, now);
        if (_config.BaseEjectionTime * backoff < MaxEjectionTime)
        {
            backoff++;
        }

        var duration = _config.BaseEjectionTime * backoff;
        var cap = _config.BaseEjectionTime > MaxEjectionTime ? _config.BaseEjectionTime : MaxEjectionTime;
        if (duration > cap)
        {
            duration = cap;
        }

        endpoint.Eject(now + (long)(duration.TotalSeconds * _time.TimestampFrequency), backoff);
        return true;
    }

    /// <summary>
    /// The backoff left from the endpoint's last ejection: Envoy's interval timer takes one off for every full
    /// <c>interval</c> the endpoint has been back in service.
    /// </summary>
    private int DecayedBackoff(EndpointState endpoint, long now)
    {
        var backoff = endpoint.EjectionBackoff;
        if (backoff == 0 || endpoint.EjectionCount == 0 || _config.Interval <= TimeSpan.Zero)
        {
            return backoff;
        }

        var healthySeconds = (double)(now - endpoint.EjectedUntil) / _time.TimestampFrequency;
        var intervals = (long)(healthySeconds / _config.Interval.TotalSeconds);
        return intervals <= 0 ? backoff : (int)Math.Max(0, backoff - intervals);
    }
}
