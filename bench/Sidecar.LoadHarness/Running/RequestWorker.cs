using System.Diagnostics;
using System.Threading.Channels;
using Sidecar.LoadHarness.Recording;

namespace Sidecar.LoadHarness.Running;

/// <summary>
/// Sends one request at a time on its connection and records each outcome against the request's intended send
/// time. Open loop it takes due times from the scheduler's queue; closed loop it sends back to back. The parts that
/// can be reused between requests are: body, read buffer, timeout source.
/// </summary>
internal sealed class RequestWorker : IDisposable
{
    private const int ReadBufferBytes = 16 * 1024;

    private readonly HttpMessageInvoker _connection;
    private readonly RequestTemplate _template;
    private readonly LatencyRecorder _recorder;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _abort;
    private readonly HttpContent? _content;
    private readonly byte[] _buffer = new byte[ReadBufferBytes];
    private CancellationTokenSource _deadline;

    public RequestWorker(
        HttpMessageInvoker connection,
        RequestTemplate template,
        LatencyRecorder recorder,
        TimeSpan timeout,
        CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(recorder);
        _connection = connection;
        _template = template;
        _recorder = recorder;
        _timeout = timeout;
        _abort = abort;
        _content = template.CreateContent();
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
                try
                {
                    intended = await queue.ReadAsync(_abort).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return;
                }
                catch (OperationCanceledException)
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
    public async Task SendAsync(long intended)
    {
        // Never disposed: disposing the message would dispose the body this worker reuses.
        var request = _template.CreateRequest(_content);
        _deadline.CancelAfter(_timeout);
        try
        {
            using var response = await _connection.SendAsync(request, _deadline.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStreamAsync(_deadline.Token).ConfigureAwait(false);
            long bytes = 0;
            int read;
            while ((read = await body.ReadAsync(_buffer, _deadline.Token).ConfigureAwait(false)) > 0)
            {
                bytes += read;
            }

            _recorder.RecordResponse(intended, Stopwatch.GetTimestamp(), (int)response.StatusCode, bytes);
        }
        catch (OperationCanceledException)
        {
            _recorder.RecordError(intended, _abort.IsCancellationRequested ? ErrorKind.Cancelled : ErrorKind.Timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
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

    public void Dispose()
    {
        _deadline.Dispose();
        _content?.Dispose();
    }
}
