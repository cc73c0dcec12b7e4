using System.Diagnostics;
using System.Threading.Channels;
using Sidecar.LoadHarness.Recording;
using Sidecar.LoadHarness.Reporting;
using Sidecar.LoadHarness.Scenarios;
using Sidecar.LoadHarness.Scheduling;
using Sidecar.LoadHarness.Transport;

namespace Sidecar.LoadHarness.Running;

/// <summary>Runs a <see cref="LoadScenario"/> and reports what it measured.</summary>
/// <remarks>
/// <code>
/// open loop:   scheduler thread --due times--> queue --> workers (MaxInFlight) --> connections (Connections)
/// closed loop:                                           workers, back to back --> connections
/// </code>
/// Workers are bound to connections round robin: one per HTTP/1.1 connection, StreamsPerConnection per HTTP/2
/// connection. When every worker is busy, due requests wait in the queue and that wait is part of their latency.
/// </remarks>
public static class LoadRunner
{
    /// <summary>How long before the first due time the workers are started, so they are waiting for it.</summary>
    private static readonly TimeSpan StartLead = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Runs <paramref name="scenario"/>: warmup, then the measured duration, then waits up to the scenario's timeout
    /// for outstanding responses. Cancelling returns the figures gathered so far with <see cref="LoadReport.Cancelled"/>.
    /// </summary>
    public static async Task<LoadReport> RunAsync(LoadScenario scenario, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        scenario.Validate();

        var template = new RequestTemplate(scenario);
        using var connections = new ConnectionSet(scenario, template);
        var frequency = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp() + Ticks(StartLead, frequency);
        var measureStart = start + Ticks(scenario.Warmup, frequency);
        var end = measureStart + Ticks(scenario.Duration, frequency);
        var recorder = new LatencyRecorder(measureStart, frequency);
        var workers = new RequestWorker[scenario.MaxInFlight];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new RequestWorker(connections.Senders[i], recorder, scenario.Timeout, cancellationToken);
        }

        // CPU and allocations are sampled over the measured window only: startup and JIT are not the steady state.
        var cpuAtMeasureStart = Environment.CpuUsage.TotalTime;
        var allocatedAtMeasureStart = GC.GetTotalAllocatedBytes();
        using var cpuSample = new Timer(
            _ =>
            {
                cpuAtMeasureStart = Environment.CpuUsage.TotalTime;
                allocatedAtMeasureStart = GC.GetTotalAllocatedBytes();
            },
            null,
            TimeSpan.FromTicks(Math.Max(0, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureStart).Ticks)),
            Timeout.InfiniteTimeSpan);
        long requests;
        try
        {
            requests = scenario.IsOpenLoop
                ? await RunOpenLoopAsync(scenario, workers, recorder, start, measureStart, end, cancellationToken).ConfigureAwait(false)
                : await RunClosedLoopAsync(workers, recorder, end).ConfigureAwait(false);
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        var cpu = Environment.CpuUsage.TotalTime - cpuAtMeasureStart;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedAtMeasureStart;
        var wall = Stopwatch.GetElapsedTime(Math.Min(measureStart, Stopwatch.GetTimestamp()));
        var cancelled = cancellationToken.IsCancellationRequested;
        var measuredUntil = cancelled ? Math.Min(Stopwatch.GetTimestamp(), Math.Max(recorder.LastCompletion, end)) : Math.Max(recorder.LastCompletion, end);
        var elapsedSeconds = Math.Max(0, measuredUntil - measureStart) / (double)frequency;
        return ReportBuilder.Build(
            scenario,
            template.Uri,
            recorder,
            requests,
            elapsedSeconds,
            wall.TotalSeconds > 0 ? 100.0 * cpu.TotalSeconds / wall.TotalSeconds : 0,
            allocated,
            cancelled);
    }

    private static async Task<long> RunOpenLoopAsync(
        LoadScenario scenario,
        RequestWorker[] workers,
        LatencyRecorder recorder,
        long start,
        long measureStart,
        long end,
        CancellationToken cancellationToken)
    {
        var queue = Channel.CreateUnbounded<long>(new UnboundedChannelOptions
        {
            SingleWriter = true,
            SingleReader = false,
            // An idle worker's continuation runs on the scheduler thread inside TryWrite, up to the point where it
            // waits for the response: the send starts without a thread-pool hop (measured at 1000 requests/s on two
            // cores: 8-12% of a core instead of 16-20%, and p50 about 40 µs lower). The scheduler's own lag is
            // reported, so a rate at which this makes it fall behind shows.
            AllowSynchronousContinuations = true,
        });
        using var stopSending = new CancellationTokenSource();
        var running = new Task[workers.Length];
        for (var i = 0; i < workers.Length; i++)
        {
            running[i] = workers[i].RunOpenLoopAsync(queue.Reader, stopSending.Token);
        }

        var schedule = new ArrivalSchedule(start, scenario.Rate, Stopwatch.Frequency);
        var count = schedule.CountBefore(end);
        await OpenLoopDispatcher.RunAsync(schedule, count, queue.Writer, recorder, cancellationToken).ConfigureAwait(false);

        // The schedule is done; give outstanding and queued requests one timeout to finish, then count the rest unsent.
        var all = Task.WhenAll(running);
        try
        {
            await all.WaitAsync(scenario.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await stopSending.CancelAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Workers see the same token and stop; wait for them below.
        }

        await all.ConfigureAwait(false);
        return count - schedule.CountBefore(measureStart);
    }

    private static async Task<long> RunClosedLoopAsync(RequestWorker[] workers, LatencyRecorder recorder, long end)
    {
        var running = new Task[workers.Length];
        for (var i = 0; i < workers.Length; i++)
        {
            running[i] = workers[i].RunClosedLoopAsync(end);
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        long errors = 0;
        foreach (var kind in Enum.GetValues<ErrorKind>())
        {
            errors += recorder.ErrorCount(kind);
        }

        return recorder.Responses + errors;
    }

    private static long Ticks(TimeSpan duration, long frequency) => (long)(duration.TotalSeconds * frequency);
}
