using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// A process the comparison starts (backend, sidecar, baseline proxy): its output is kept for diagnosis, its CPU
/// time and peak RSS are read from /proc, and it is stopped with SIGTERM (SIGKILL if it lingers).
/// </summary>
internal sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ManagedProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="program"/>: a native executable, or a .dll run by the dotnet host.</summary>
    public static ManagedProcess Start(string name, string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var isAssembly = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isAssembly ? "dotnet" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (isAssembly)
        {
            start.ArgumentList.Add(program);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var managed = new ManagedProcess(name, process);
        process.OutputDataReceived += (_, e) => managed.Append(e.Data);
        process.ErrorDataReceived += (_, e) => managed.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>User plus system CPU time so far (/proc/PID/stat utime + stime).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Id}/stat");
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public long PeakRssBytes() => StatusField("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public long RssBytes() => StatusField("VmRSS:");

    /// <summary>Resets the peak RSS to the current RSS (clear_refs 5), so a measured window starts clean.</summary>
    public void ResetPeakRss()
    {
        try
        {
            File.WriteAllText($"/proc/{Id}/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Terminate(_process.Id);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    // USER_HZ is 100 on Linux builds of every mainstream distribution.
    private const int ClockTicksPerSecond = 100;

    private long StatusField(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kb = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
