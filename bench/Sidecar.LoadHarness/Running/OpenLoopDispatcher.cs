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
    /// <summary>How close to a due time the thread stops sleeping and spins (see <see cref="DeadlineWaiter"/>).</summary>
    private static readonly TimeSpan SpinWindow = TimeSpan.FromMicroseconds(30);

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

            queue.TryWrite(due);
            recorder.RecordDispatch(due, Stopwatch.GetTimestamp());
        }
    }
}
