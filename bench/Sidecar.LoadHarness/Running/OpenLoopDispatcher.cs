using System.Diagnostics;
using System.Threading.Channels;
using Sidecar.LoadHarness.Recording;
using Sidecar.LoadHarness.Scheduling;

namespace Sidecar.LoadHarness.Running;

/// <summary>
/// The open-loop clock: a dedicated thread that waits for each request's due time and queues it for the workers,
/// whatever state earlier requests are in. When it falls behind (a long GC pause), it queues the overdue requests
/// at once; their latency still counts from when they were due.
/// </summary>
internal static class OpenLoopDispatcher
{
    /// <summary>
    /// How close to a due time the thread stops sleeping and spins (see <see cref="DeadlineWaiter"/>). Measured here
    /// at 1000 requests/s: nanosleep wakes 40-50 µs late, so 10 µs left requests ~70 µs late at the median, while 50 µs
    /// costs about 2% of a core more and 120 µs over 5% more for no further gain.
    /// </summary>
    private static readonly TimeSpan SpinWindow = TimeSpan.FromMicroseconds(50);

    /// <summary>Queues requests 0 to <paramref name="count"/> - 1 at their due times, then completes the queue.</summary>
    public static Task RunAsync(
        ArrivalSchedule schedule,
        long count,
        ChannelWriter<long> queue,
        LatencyRecorder recorder,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(recorder);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Dispatch(schedule, count, queue, recorder, cancellationToken);
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
            finally
            {
                queue.TryComplete();
            }
        })
        {
            IsBackground = true,
            Name = "loadgen scheduler",
        };
        thread.Start();
        return done.Task;
    }

    private static void Dispatch(
        ArrivalSchedule schedule,
        long count,
        ChannelWriter<long> queue,
        LatencyRecorder recorder,
        CancellationToken cancellationToken)
    {
        var waiter = new DeadlineWaiter(SpinWindow);
        for (long i = 0; i < count; i++)
        {
            var due = schedule.DueAt(i);
            waiter.WaitUntil(due, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // With an idle worker waiting, TryWrite runs it here until its request is written to the socket, so the
            // lag recorded is from the due time to the request leaving (or to its queueing, when every worker is busy).
            queue.TryWrite(due);
            recorder.RecordDispatch(due, Stopwatch.GetTimestamp());
        }
    }
}
