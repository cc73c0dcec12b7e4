namespace Sidecar.LoadHarness.Scheduling;

/// <summary>
/// When each request of a fixed-rate run is due, in <see cref="System.Diagnostics.Stopwatch"/> ticks: request i at
/// start + i / rate. Each time is computed from the start, never by adding intervals, so rounding never accumulates.
/// </summary>
internal readonly struct ArrivalSchedule
{
    private readonly double _ticksPerRequest;

    /// <param name="start">The timestamp request 0 is due.</param>
    /// <param name="rate">Requests per second (positive).</param>
    /// <param name="ticksPerSecond">The clock's frequency (<see cref="System.Diagnostics.Stopwatch.Frequency"/>).</param>
    public ArrivalSchedule(long start, double rate, long ticksPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticksPerSecond);
        Start = start;
        Rate = rate;
        _ticksPerRequest = ticksPerSecond / rate;
    }

    public long Start { get; }

    public double Rate { get; }

    /// <summary>The timestamp request <paramref name="index"/> is due.</summary>
    public long DueAt(long index) => Start + (long)Math.Round(index * _ticksPerRequest);

    /// <summary>How many requests fall due strictly before <paramref name="timestamp"/>.</summary>
    public long CountBefore(long timestamp)
    {
        if (timestamp <= Start)
        {
            return 0;
        }

        // First guess from the rate, then settle against DueAt so the count agrees with it exactly at the edges.
        var count = (long)Math.Ceiling((timestamp - Start) / _ticksPerRequest);
        while (count > 0 && DueAt(count - 1) >= timestamp)
        {
            count--;
        }

        while (DueAt(count) < timestamp)
        {
            count++;
        }

        return count;
    }
}
