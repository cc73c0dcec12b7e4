namespace Sidecar.LoadHarness.Comparison;

/// <summary>A baseline proxy (bare YARP, HAProxy) that is running, and the URL load goes to.</summary>
internal sealed record StartedProxy(ManagedProcess Process, Uri Url) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
