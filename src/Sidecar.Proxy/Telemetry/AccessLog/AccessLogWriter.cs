using System.Buffers;
using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// The file access log (Istio's <c>accessLogFile</c>, or an <c>envoyFileAccessLog</c> provider): lines formatted in
/// batches into a reused buffer and written to the file or stdout.
/// </summary>
internal sealed class AccessLogWriter : AccessLogSink
{
    private const int FlushThreshold = 64 * 1024;
    private readonly AccessLogFormatter _formatter;
    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold * 2);

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
        Start();
    }

    public string Path { get; }

    public AccessLogEncoding Encoding { get; }

    /// <summary>Istio's <c>accessLogFormat</c> ("" for the default).</summary>
    public string Format { get; }

    public override CustomAccessLogFormat? Custom => _formatter.Custom;

    protected override ValueTask Write(in AccessLogEntry entry)
    {
        _formatter.Write(entry, _buffer);
        return _buffer.WrittenCount >= FlushThreshold ? FlushAsync() : default;
    }

    protected override async ValueTask FlushAsync()
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            await _output.WriteAsync(_buffer.WrittenMemory).ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A closed stdout or a full disk must not stop the proxy: the lines are lost, as Envoy loses them.
        }

        _buffer.ResetWrittenCount();
    }

    protected override ValueTask CloseAsync() => _output.DisposeAsync();
}
