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
        bool trip;
        if (localOriginFailure && _config.SplitExternalLocalOriginErrors)
        {
            // Split: a local failure counts only toward consecutive_local_origin_failure, leaving the 5xx counts alone.
            trip = _config.ConsecutiveLocalOriginFailures is > 0 and var nl && endpoint.RecordLocalOriginResult(failure: true) >= nl;
        }
        else
        {
            // Without split_external_local_origin_errors, local failures count as 503 (Envoy's resultToHttpCode).
            // With it, a response means the connection was made, which clears the local-origin failures.
            var (c5, cg) = endpoint.RecordHttpResult(status >= 500 || localOriginFailure, status is 502 or 503 or 504 || localOriginFailure);
            if (_config.SplitExternalLocalOriginErrors)
            {
                endpoint.RecordLocalOriginResult(failure: false);
            }

            trip = (_config.Consecutive5xx is > 0 and var n5 && c5 >= n5) || (_config.ConsecutiveGatewayErrors is > 0 and var ng && cg >= ng);
        }

        return trip && Eject(endpoint, all);
    }

    /// <summary>
    /// A TCP connection reached the endpoint (Envoy's <c>LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL</c>): it clears the
    /// consecutive local-origin failures, or without split local-origin errors counts as a 200, clearing the 5xx
    /// and gateway counts. An HTTP connect is not reported: the response that follows is.
    /// </summary>
    public void RecordConnectSuccess(EndpointState endpoint)
    {
        if (_config.SplitExternalLocalOriginErrors)
        {
            endpoint.RecordLocalOriginResult(failure: false);
        }
        else
        {
            endpoint.RecordHttpResult(is5xx: false, isGatewayError: false);
        }
    }

    private bool Eject(EndpointState endpoint, ReadOnlySpan<EndpointState> all)
    {
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
