using Sidecar.LoadHarness.Scheduling;

namespace Sidecar.LoadHarness.Tests.Scheduling;

public sealed class ArrivalScheduleTests
{
    private const long Nanoseconds = 1_000_000_000;

    [Fact]
    public void Requests_are_spaced_one_interval_apart_from_the_start()
    {
        var schedule = new ArrivalSchedule(start: 5_000, rate: 1000, ticksPerSecond: Nanoseconds);

        Assert.Equal(5_000, schedule.DueAt(0));
        Assert.Equal(5_000 + 1_000_000, schedule.DueAt(1));
        Assert.Equal(5_000 + 30_000_000_000, schedule.DueAt(30_000));
    }

    [Fact]
    public void A_rate_that_does_not_divide_the_clock_does_not_drift()
    {
        // 3 per second: 333,333,333.33 ns apart. Adding a rounded interval would lose 1/3 ns per request.
        var schedule = new ArrivalSchedule(start: 0, rate: 3, ticksPerSecond: Nanoseconds);

        Assert.Equal(333_333_333, schedule.DueAt(1));
        Assert.Equal(666_666_667, schedule.DueAt(2));
        Assert.Equal(3_000_000_000_000_000, schedule.DueAt(9_000_000)); // exactly 3e6 seconds later
    }

    [Theory]
    [InlineData(1000, 30, 30_000)]
    [InlineData(1000, 5, 5_000)]
    [InlineData(3, 1, 3)]
    [InlineData(0.5, 10, 5)]
    [InlineData(7, 1, 7)]
    public void Count_before_a_time_is_rate_times_elapsed(double rate, int seconds, long expected)
    {
        var schedule = new ArrivalSchedule(start: 1_000, rate, ticksPerSecond: Nanoseconds);

        Assert.Equal(expected, schedule.CountBefore(1_000 + seconds * Nanoseconds));
    }

    [Fact]
    public void Count_before_agrees_with_due_times_at_the_edges()
    {
        var schedule = new ArrivalSchedule(start: 0, rate: 1000, ticksPerSecond: Nanoseconds);

        Assert.Equal(0, schedule.CountBefore(0)); // request 0 is due at 0: not strictly before
        Assert.Equal(1, schedule.CountBefore(1));
        Assert.Equal(1, schedule.CountBefore(1_000_000));
        Assert.Equal(2, schedule.CountBefore(1_000_001));
        for (long i = 0; i < 50; i++)
        {
            var count = schedule.CountBefore(schedule.DueAt(i));
            Assert.Equal(i, count);
        }
    }

    [Fact]
    public void Nothing_is_due_before_the_start()
    {
        var schedule = new ArrivalSchedule(start: 10_000, rate: 1000, ticksPerSecond: Nanoseconds);

        Assert.Equal(0, schedule.CountBefore(-5));
        Assert.Equal(0, schedule.CountBefore(10_000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void The_rate_must_be_positive(double rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArrivalSchedule(0, rate, Nanoseconds));
    }
}
