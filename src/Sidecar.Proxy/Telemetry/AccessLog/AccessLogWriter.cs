using System.Buffers;
using System.Threading.Channels;
using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// Writes access log lines off the request path: a request hands its entry to a bounded channel (never waiting:
/// when the writer falls behind, entries are dropped and counted, as Envoy's buffered file logger does), and one
/// background task formats batches into a reused buffer and writes them to the file or stdout.
/// </summary>
internal sealed class AccessLogWriter : IAsyncDisposable
{
    private const int Capacity = 16 * 1024;
    private const int FlushThreshold = 64 * 1024;
    private readonly Channel<AccessLogEntry> _entries = Channel.CreateBounded<AccessLogEntry>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false });

    private readonly AccessLogFormatter _formatter;
    private readonly Stream _output;
    private readonly Task _writing;
    private long _dropped;

    public AccessLogWriter(string path, AccessLogEncoding encoding, string format = "")
    {
        Path = path;
        Encoding = encoding;
        Format = format;
        // The format was validated with the config; a JSON format that is not an object falls back to the default, as in Istio.
        var template = format.Length == 0 ? null : AccessLogTemplate.Parse(format, encoding, out _);
        _formatter = new AccessLogFormatter(encoding, template is null ? null : new CustomAccessLogFormat(template));
        _output = path == "/dev/stdout" ? Console.OpenStandardOutput()
            : path == "/dev/stderr" ? Console.OpenStandardError()
            : AppendOnlyFile.Open(path);
        _writing = Task.Run(WriteLoopAsync);
    }

    public string Path { get; }

    public AccessLogEncoding Encoding { get; }

    /// <summary>Istio's <c>accessLogFormat</c> ("" for the default).</summary>
    public string Format { get; }

    /// <summary>The custom format, whose headers a request captures with its entry; null for the default format.</summary>
    public CustomAccessLogFormat? Custom => _formatter.Custom;

    /// <summary>Whether a line prints <c>%UPSTREAM_LOCAL_ADDRESS%</c>: Envoy's default format and Istio's JSON do.</summary>
    public bool PrintsUpstreamLocalAddress => Custom?.PrintsUpstreamLocalAddress ?? true;

    /// <summary>Entries dropped because the writer could not keep up.</summary>
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
        await _output.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold * 2);
        var reader = _entries.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var entry))
            {
                _formatter.Write(entry, buffer);
                if (buffer.WrittenCount >= FlushThreshold)
                {
                    await FlushAsync(buffer).ConfigureAwait(false);
                }
            }

            await FlushAsync(buffer).ConfigureAwait(false);
        }
    }

    private async ValueTask FlushAsync(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            await _output.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A closed stdout or a full disk must not stop the proxy: the lines are lost, as Envoy loses them.
        }

        buffer.ResetWrittenCount();
    }
}
