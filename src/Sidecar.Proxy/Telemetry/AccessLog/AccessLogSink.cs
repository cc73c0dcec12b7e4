using System.Threading.Channels;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// An access log fed off the request path: a request hands its entry to a bounded channel (never waiting: when the
/// log falls behind, entries are dropped and counted, as Envoy's buffered loggers drop them), and one background task
/// takes them in batches, writing each (<see cref="Write"/>) and then the batch (<see cref="FlushAsync"/>).
/// </summary>
internal abstract class AccessLogSink : IAsyncDisposable
{
    private const int Capacity = 16 * 1024;
    private readonly Channel<AccessLogEntry> _entries = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false });

    private Task _writing = Task.CompletedTask;
    private long _dropped;

    /// <summary>The custom format, whose headers a request captures with its entry; null for the default format.</summary>
    public abstract CustomAccessLogFormat? Custom { get; }

    /// <summary>Whether an entry prints <c>%UPSTREAM_LOCAL_ADDRESS%</c>: Envoy's default format and Istio's JSON do.</summary>
    public virtual bool PrintsUpstreamLocalAddress => Custom?.PrintsUpstreamLocalAddress ?? true;

    /// <summary>Entries dropped because the log could not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues an entry; never blocks.</summary>
    public void Enqueue(in AccessLogEntry entry)
    {
        if (!_entries.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _entries.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Starts the background task: called by a derived constructor once its fields are set.</summary>
    protected void Start() => _writing = Task.Run(WriteLoopAsync);

    /// <summary>Writes one entry (on the background task).</summary>
    protected abstract ValueTask Write(in AccessLogEntry entry);

    /// <summary>Ends a batch: what <see cref="Write"/> buffered goes out.</summary>
    protected abstract ValueTask FlushAsync();

    /// <summary>Closes the output once every queued entry was written.</summary>
    protected abstract ValueTask CloseAsync();

    private async Task WriteLoopAsync()
    {
        var reader = _entries.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                await Write(entry).ConfigureAwait(false);
            }

            await FlushAsync().ConfigureAwait(false);
        }
    }
}
