using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Sidecar.LoadHarness.Recording;
using Sidecar.LoadHarness.Transport;

namespace Sidecar.LoadHarness.Running;

/// <summary>
/// Sends one request at a time through its sender and records each outcome against the request's intended send
/// time. Open loop it takes due times from the scheduler's queue; closed loop it sends back to back.
/// </summary>
internal sealed class RequestWorker : IDisposable
{
    private readonly IRequestSender _sender;
    private readonly LatencyRecorder _recorder;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _abort;
    private CancellationTokenSource _deadline;

    public RequestWorker(IRequestSender sender, LatencyRecorder recorder, TimeSpan timeout, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recorder);
        _sender = sender;
        _recorder = recorder;
        _timeout = timeout;
        _abort = abort;
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(abort);
    }

    /// <summary>
    /// Sends the requests the scheduler queues until the queue completes. Once <paramref name="stopSending"/> is
    /// set (the run is over and the client queue did not drain in time) queued requests are counted as unsent.
    /// </summary>
    public async Task RunOpenLoopAsync(ChannelReader<long> queue, CancellationToken stopSending)
    {
        ArgumentNullException.ThrowIfNull(queue);
        while (true)
        {
            if (!queue.TryRead(out var intended))
            {
                // No token: the scheduler completes the queue when the run ends or is cancelled, and an uncancellable
                // read allocates less.
                try
                {
                    intended = await queue.ReadAsync().ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return;
                }
            }

            if (stopSending.IsCancellationRequested)
            {
                _recorder.RecordError(intended, ErrorKind.Unsent);
                continue;
            }

            await SendAsync(intended).ConfigureAwait(false);
        }
    }

    /// <summary>Sends back to back until <paramref name="end"/>; each latency counts from its actual send.</summary>
    public async Task RunClosedLoopAsync(long end)
    {
        // Leave the caller's thread at once: every worker starts sending together.
        await Task.Yield();
        while (!_abort.IsCancellationRequested)
        {
            var start = Stopwatch.GetTimestamp();
            if (start >= end)
            {
                return;
            }

            await SendAsync(start).ConfigureAwait(false);
        }
    }

    /// <summary>Sends one request due at <paramref name="intended"/>, reads the whole response and records it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(long intended)
    {
        _deadline.CancelAfter(_timeout);
        try
        {
            var response = await _sender.SendAsync(_deadline.Token).ConfigureAwait(false);
            _recorder.RecordResponse(intended, Stopwatch.GetTimestamp(), response.Status, response.BodyBytes);
        }
        catch (OperationCanceledException)
        {
            _recorder.RecordError(intended, _abort.IsCancellationRequested ? ErrorKind.Cancelled : ErrorKind.Timeout);
        }
        catch (Exception ex)
        {
            // Any failure is this request's outcome: counting it must not end the run.
            _recorder.RecordError(intended, ErrorClassifier.Classify(ex));
        }
        finally
        {
            // TryReset fails once the timer fired; only then is a new source needed.
            if (!_deadline.TryReset())
            {
                _deadline.Dispose();
                _deadline = CancellationTokenSource.CreateLinkedTokenSource(_abort);
            }
        }
    }

    public void Dispose() => _deadline.Dispose();
}
