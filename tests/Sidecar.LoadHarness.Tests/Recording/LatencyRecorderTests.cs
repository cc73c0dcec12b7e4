using HdrHistogram;
using Sidecar.LoadHarness.Recording;

namespace Sidecar.LoadHarness.Tests.Recording;

public sealed class LatencyRecorderTests
{
    // A clock of one tick per microsecond keeps the arithmetic readable.
    private const long Microseconds = 1_000_000;

    [Fact]
    public void Latency_counts_from_the_intended_time_not_from_when_the_request_left()
    {
        var recorder = new LatencyRecorder(measureStart: 1_000, ticksPerSecond: Microseconds);

        // Due at 2,000 µs, answered at 52,000 µs: 50 ms, however late the request was actually sent.
        recorder.RecordResponse(intended: 2_000, completed: 52_000, status: 200, bytes: 1024);

        var latency = recorder.CopyLatency();
        Assert.Equal(1, latency.TotalCount);
        Assert.InRange(latency.GetMaxValue(), 49_950, 50_050); // 3 significant digits
    }

    [Fact]
    public void Warmup_outcomes_are_counted_but_not_recorded()
    {
        var recorder = new LatencyRecorder(measureStart: 1_000, ticksPerSecond: Microseconds);

        recorder.RecordResponse(intended: 999, completed: 5_000, status: 200, bytes: 10);
        recorder.RecordError(intended: 10, ErrorKind.Connect);
        recorder.RecordResponse(intended: 1_000, completed: 1_100, status: 200, bytes: 10);

        Assert.Equal(2, recorder.WarmupOutcomes);
        Assert.Equal(1, recorder.Responses);
        Assert.Equal(0, recorder.ErrorCount(ErrorKind.Connect));
        Assert.Equal(10, recorder.BytesReceived);
        Assert.Equal(1, recorder.CopyLatency().TotalCount);
    }

    [Fact]
    public void Statuses_and_errors_are_counted_by_kind()
    {
        var recorder = new LatencyRecorder(measureStart: 0, ticksPerSecond: Microseconds);

        recorder.RecordResponse(10, 20, 200, 0);
        recorder.RecordResponse(10, 20, 200, 0);
        recorder.RecordResponse(10, 20, 503, 0);
        recorder.RecordError(10, ErrorKind.Timeout);
        recorder.RecordError(10, ErrorKind.Reset);
        recorder.RecordError(10, ErrorKind.Reset);

        Assert.Equal(2, recorder.StatusCount(200));
        Assert.Equal(1, recorder.StatusCount(503));
        Assert.Equal(3, recorder.Responses);
        Assert.Equal(1, recorder.ErrorCount(ErrorKind.Timeout));
        Assert.Equal(2, recorder.ErrorCount(ErrorKind.Reset));
    }

    [Fact]
    public void The_last_completion_is_the_latest_across_threads()
    {
        var recorder = new LatencyRecorder(measureStart: 0, ticksPerSecond: Microseconds);

        Parallel.For(1, 10_001, i => recorder.RecordResponse(intended: 0, completed: i, status: 200, bytes: 1));

        Assert.Equal(10_000, recorder.LastCompletion);
        Assert.Equal(10_000, recorder.Responses);
        Assert.Equal(10_000, recorder.CopyLatency().TotalCount);
    }

    [Fact]
    public void Dispatch_lag_is_recorded_for_measured_requests_only()
    {
        var recorder = new LatencyRecorder(measureStart: 100, ticksPerSecond: Microseconds);

        recorder.RecordDispatch(intended: 50, dispatched: 80);
        recorder.RecordDispatch(intended: 200, dispatched: 230);

        var lag = recorder.CopyDispatchLag();
        Assert.Equal(1, lag.TotalCount);
        Assert.Equal(30, lag.GetMaxValue());
    }

    [Fact]
    public void A_latency_beyond_the_histogram_range_is_clamped_not_lost()
    {
        var recorder = new LatencyRecorder(measureStart: 0, ticksPerSecond: Microseconds);

        recorder.RecordResponse(intended: 0, completed: 2 * LatencyRecorder.HighestTrackableMicroseconds, status: 200, bytes: 0);

        Assert.Equal(1, recorder.CopyLatency().TotalCount);
    }
}
