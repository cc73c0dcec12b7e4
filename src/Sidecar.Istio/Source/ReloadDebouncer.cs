namespace Sidecar.Istio;

/// <summary>
/// Coalesces bursts of change signals (an editor's write-temp-then-rename, a checkout of many files) into one action,
/// run once no signal has arrived for the quiet period. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ReloadDebouncer(TimeProvider timeProvider, TimeSpan quietPeriod, Action action) : IDisposable
{
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private bool _disposed;

    public void Signal()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _timer ??= timeProvider.CreateTimer(_ => action(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(quietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
