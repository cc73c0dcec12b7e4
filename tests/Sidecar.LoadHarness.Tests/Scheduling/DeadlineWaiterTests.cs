using System.Diagnostics;
using Sidecar.LoadHarness.Scheduling;

namespace Sidecar.LoadHarness.Tests.Scheduling;

public sealed class DeadlineWaiterTests
{
    [Fact]
    public void Never_returns_before_the_deadline()
    {
        var waiter = new DeadlineWaiter(TimeSpan.FromMicroseconds(30));
        for (var i = 0; i < 200; i++)
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5000; // 200 µs ahead
            waiter.WaitUntil(deadline, CancellationToken.None);
            Assert.True(Stopwatch.GetTimestamp() >= deadline);
        }
    }

    [Fact]
    public void A_deadline_in_the_past_returns_at_once()
    {
        var waiter = new DeadlineWaiter(TimeSpan.FromMicroseconds(30));
        var before = Stopwatch.GetTimestamp();

        waiter.WaitUntil(before - Stopwatch.Frequency, CancellationToken.None);

        Assert.True(Stopwatch.GetElapsedTime(before) < TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Cancellation_ends_a_long_wait()
    {
        var waiter = new DeadlineWaiter(TimeSpan.FromMicroseconds(30));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var before = Stopwatch.GetTimestamp();

        waiter.WaitUntil(before + 60 * Stopwatch.Frequency, cancellation.Token);

        // Sleeps are sliced at 50 ms, so a cancelled minute-long wait ends within about 100 ms.
        Assert.True(Stopwatch.GetElapsedTime(before) < TimeSpan.FromSeconds(5));
    }
}
