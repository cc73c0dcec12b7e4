using Sidecar.Model;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Envoy's outlier detection for one cluster (Istio's <c>outlierDetection</c>): an endpoint reaching
/// <c>consecutive_5xx</c> or <c>consecutive_gateway_failure</c> is ejected for <c>base_ejection_time</c> times the
/// number of its ejections (capped at 300 s), unless that would eject more than <c>max_ejection_percent</c> of the
/// cluster. Ejections end lazily: an endpoint is back once its time has passed.
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

        // Envoy always allows ejecting at least one host, then holds to max_ejection_percent.
        if (ejected > 0 && (ejected + 1) * 100 > _config.MaxEjectionPercent * all.Length)
        {
            return false;
        }

        var duration = _config.BaseEjectionTime * (endpoint.EjectionCount + 1);
        if (duration > MaxEjectionTime && _config.BaseEjectionTime < MaxEjectionTime)
        {
            duration = MaxEjectionTime;
        }

        endpoint.Eject(now + (long)(duration.TotalSeconds * _time.TimestampFrequency));
        return true;
    }
}
