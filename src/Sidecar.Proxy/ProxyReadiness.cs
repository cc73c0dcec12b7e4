using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy;

/// <summary>
/// Whether the sidecar is ready for traffic (Istio's <c>/healthz/ready</c>, Envoy's <c>/ready</c>): a valid config has
/// been applied and the listeners are open, unless the admin <c>/healthcheck/fail</c> took the server out of rotation
/// (Envoy's DRAINING state). Also whether connections are being drained: after SIGTERM, pilot-agent's <c>/drain</c> or
/// the admin <c>/drain_listeners</c>, HTTP/1 responses on the drained side carry <c>Connection: close</c>, as Envoy's
/// drain manager (Istio runs it with the immediate strategy) closes connections while the listeners still accept.
/// Draining does not change readiness, as in Envoy.
/// </summary>
internal sealed class ProxyReadiness
{
    private readonly DataPlane _dataPlane;
    private readonly ListenerManager _listeners;
    private volatile bool _healthCheckFailed;
    private volatile int _drainedDirections;

    public ProxyReadiness(DataPlane dataPlane, ListenerManager listeners)
    {
        _dataPlane = dataPlane;
        _listeners = listeners;
    }

    public bool IsReady => !_healthCheckFailed && _dataPlane.Current is not null && _listeners.IsReady;

    /// <summary>Envoy's server state names, as <c>/ready</c> and <c>/server_info</c> print them.</summary>
    public string State => _healthCheckFailed ? "DRAINING" : IsReady ? "LIVE" : "PRE_INITIALIZING";

    /// <summary>Admin <c>/healthcheck/fail</c> (true) and <c>/healthcheck/ok</c> (false).</summary>
    public void SetHealthCheckFailed(bool failed) => _healthCheckFailed = failed;

    /// <summary>Starts draining inbound connections only (SIGTERM, <c>/drain</c>, <c>drain_listeners?inboundonly</c>) or all of them.</summary>
    public void BeginDrain(bool inboundOnly) => _drainedDirections |= inboundOnly ? 1 << (int)RequestDirection.Inbound : (1 << (int)RequestDirection.Inbound) | (1 << (int)RequestDirection.Outbound);

    /// <summary>Whether a response on this side should close its HTTP/1 connection.</summary>
    public bool IsDraining(RequestDirection direction) => (_drainedDirections & (1 << (int)direction)) != 0;
}
