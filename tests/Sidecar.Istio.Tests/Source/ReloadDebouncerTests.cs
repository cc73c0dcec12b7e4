using Microsoft.Extensions.Time.Testing;

namespace Sidecar.Istio.Tests.Source;

public sealed class ReloadDebouncerTests
{
    [Fact]
    public void A_burst_of_signals_runs_the_action_once_after_the_quiet_period()
    {
        var time = new FakeTimeProvider();
        var runs = 0;
        using var debouncer = new ReloadDebouncer(time, TimeSpan.FromMilliseconds(150), () => Interlocked.Increment(ref runs));

        debouncer.Signal();
        time.Advance(TimeSpan.FromMilliseconds(100));
        debouncer.Signal(); // the rename after the temp-file write: the quiet period starts again
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, runs);

        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, runs);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, runs);

        debouncer.Signal();
        time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal(2, runs);
    }

    [Fact]
    public void Signals_after_dispose_do_nothing()
    {
        var time = new FakeTimeProvider();
        var runs = 0;
        var debouncer = new ReloadDebouncer(time, TimeSpan.FromMilliseconds(150), () => runs++);
        debouncer.Signal();
        debouncer.Dispose();
        debouncer.Signal();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, runs);
    }
}
