using System.Diagnostics;
using HdrHistogram;

namespace Sidecar.LoadHarness.Recording;

/// <summary>
/// Collects every outcome of a run from many threads at once without locks: latencies (from each request's intended
/// send time) in an HdrHistogram at microsecond resolution and 3 significant digits, status codes, error kinds, bytes,
/// and how late the scheduler dispatched. Outcomes of requests due before <see cref="MeasureStart"/> (the warmup)
/// are only counted.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>One hour in microseconds: longer latencies are recorded as this value.</summary>
    public const long HighestTrackableMicroseconds = 3_600_000_000;

    private const int SignificantDigits = 3;
    private const int StatusCodes = 600;

    private readonly LongConcurrentHistogram _latency = new(1, HighestTrackableMicroseconds, SignificantDigits);
    private readonly LongConcurrentHistogram _dispatchLag = new(1, HighestTrackableMicroseconds, SignificantDigits);
    private readonly double _microsecondsPerTick;
    private readonly long[] _statuses = new long[StatusCodes];
    private readonly long[] _errors = new long[Enum.GetValues<ErrorKind>().Length];
    private long _responses;
    private long _warmupOutcomes;
    private long _bytesReceived;
    private long _lastCompletion;

    /// <param name="measureStart">The timestamp recording starts: requests due earlier are warmup.</param>
    /// <param name="ticksPerSecond">The clock's frequency (<see cref="Stopwatch.Frequency"/>).</param>
    public LatencyRecorder(long measureStart, long ticksPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticksPerSecond);
        MeasureStart = measureStart;
        _microsecondsPerTick = 1_000_000.0 / ticksPerSecond;
        _lastCompletion = measureStart;
    }

    public long MeasureStart { get; }

    /// <summary>Responses (any status) to requests due in the measured window.</summary>
    public long Responses => Volatile.Read(ref _responses);

    /// <summary>Outcomes of requests due during warmup, not recorded.</summary>
    public long WarmupOutcomes => Volatile.Read(ref _warmupOutcomes);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>When the last measured response completed (<see cref="MeasureStart"/> when none did).</summary>
    public long LastCompletion => Volatile.Read(ref _lastCompletion);

    /// <summary>A complete response to the request due at <paramref name="intended"/>.</summary>
    public void RecordResponse(long intended, long completed, int status, long bytes)
    {
        if (intended < MeasureStart)
        {
            Interlocked.Increment(ref _warmupOutcomes);
            return;
        }

        _latency.RecordValue(ToMicroseconds(completed - intended));
        Interlocked.Increment(ref _responses);
        Interlocked.Add(ref _bytesReceived, bytes);
        Interlocked.Increment(ref _statuses[(uint)status < StatusCodes ? status : 0]);
        RaiseLastCompletion(completed);
    }

    /// <summary>A request due at <paramref name="intended"/> that got no complete response.</summary>
    public void RecordError(long intended, ErrorKind kind)
    {
        if (intended < MeasureStart)
        {
            Interlocked.Increment(ref _warmupOutcomes);
            return;
        }

        Interlocked.Increment(ref _errors[(int)kind]);
    }

    /// <summary>How late the scheduler handed out the request due at <paramref name="intended"/>.</summary>
    public void RecordDispatch(long intended, long dispatched)
    {
        if (intended >= MeasureStart)
        {
            _dispatchLag.RecordValue(ToMicroseconds(dispatched - intended));
        }
    }

    /// <summary>Count of measured responses with this status code.</summary>
    public long StatusCount(int status) => (uint)status < StatusCodes ? Volatile.Read(ref _statuses[status]) : 0;

    public long ErrorCount(ErrorKind kind) => Volatile.Read(ref _errors[(int)kind]);

    /// <summary>A copy of the latency histogram (microseconds), safe to read while recording goes on.</summary>
    public HistogramBase CopyLatency() => _latency.Copy();

    /// <summary>A copy of the dispatch-lag histogram (microseconds).</summary>
    public HistogramBase CopyDispatchLag() => _dispatchLag.Copy();

    private long ToMicroseconds(long ticks) =>
        Math.Clamp((long)Math.Round(ticks * _microsecondsPerTick), 0, HighestTrackableMicroseconds);

    private void RaiseLastCompletion(long completed)
    {
        var seen = Volatile.Read(ref _lastCompletion);
        while (completed > seen)
        {
            var previous = Interlocked.CompareExchange(ref _lastCompletion, completed, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
