using System.Text;
using Sidecar.Proxy.Telemetry.AccessLog;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>The access log file is opened with O_APPEND, as Envoy opens it.</summary>
public sealed class AppendOnlyFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sidecar-access-{Guid.NewGuid():N}.log");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Two_writers_of_one_file_keep_each_others_lines()
    {
        using var first = AppendOnlyFile.Open(_path);
        using var second = AppendOnlyFile.Open(_path);

        Write(first, "one\n");
        Write(second, "two\n");
        Write(first, "three\n");

        Assert.Equal("one\ntwo\nthree\n", File.ReadAllText(_path));
    }

    [Fact]
    public void After_a_copytruncate_rotation_the_log_starts_again_at_the_beginning()
    {
        using var log = AppendOnlyFile.Open(_path);
        Write(log, "before rotation\n");

        using (new FileStream(_path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite))
        {
        }

        Write(log, "after\n");

        Assert.Equal("after\n", File.ReadAllText(_path));
    }

    private static void Write(Stream stream, string text)
    {
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush();
    }
}
