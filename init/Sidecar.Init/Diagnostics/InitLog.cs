using System.Globalization;

namespace Sidecar.Init.Diagnostics;

/// <summary>
/// The program's log, on stderr, in istio-iptables' layout ("time\tlevel\tmessage"), so stdout carries only the
/// dry-run output. An init container has no log pipeline to feed: plain lines are what kubectl logs shows.
/// </summary>
internal sealed class InitLog
{
    private readonly TextWriter _writer;
    private readonly TimeProvider _time;

    public InitLog(TextWriter writer, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(time);
        _writer = writer;
        _time = time;
    }

    public void Info(string message) => Write("info", message);

    public void Warn(string message) => Write("warn", message);

    public void Error(string message) => Write("error", message);

    private void Write(string level, string message)
    {
        var now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        _writer.WriteLine($"{now}\t{level}\t{message}");
    }
}
