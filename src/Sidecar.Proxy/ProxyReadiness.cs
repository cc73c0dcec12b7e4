using Microsoft.Extensions.Hosting;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy;

/// <summary>
/// Whether the sidecar is ready for traffic (Istio's <c>/healthz/ready</c>): a valid config has been applied, the
/// listeners are open, and the process is not draining.
/// </summary>
internal sealed class ProxyReadiness
{
    private readonly DataPlane _dataPlane;
    private readonly ListenerManager _listeners;
    private volatile bool _draining;

    public ProxyReadiness(DataPlane dataPlane, ListenerManager listeners, IHostApplicationLifetime lifetime)
    {
        _dataPlane = dataPlane;
        _listeners = listeners;
        lifetime.ApplicationStopping.Register(() => _draining = true);
    }

    public bool IsDraining => _draining;

    public bool IsReady => !_draining && _dataPlane.Current is not null && _listeners.IsReady;

    /// <summary>Envoy's server state names, as <c>/ready</c> and <c>/server_info</c> print them.</summary>
    public string State => _draining ? "DRAINING" : IsReady ? "LIVE" : "PRE_INITIALIZING";

    /// <summary>Starts draining (admin <c>/drain_listeners</c>, <c>/quitquitquit</c>).</summary>
    public void BeginDrain() => _draining = true;
}
