namespace Sidecar.Proxy.Listeners;

/// <summary>
/// The downstream connections open on the data listeners (Envoy's <c>downstream_cx_active</c> summed over them):
/// what pilot-agent's <c>EXIT_ON_ZERO_ACTIVE_CONNECTIONS</c> waits to reach zero before the sidecar exits.
/// </summary>
internal sealed class DownstreamConnections
{
    private long _active;

    public long Active => Interlocked.Read(ref _active);

    public void Opened() => Interlocked.Increment(ref _active);

    public void Closed() => Interlocked.Decrement(ref _active);
}
