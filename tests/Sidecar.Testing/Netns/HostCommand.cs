using System.ComponentModel;
using System.Diagnostics;

namespace Sidecar.Testing.Netns;

/// <summary>What a command printed and how it exited.</summary>
public sealed record CommandOutput(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command line and both outputs unless the command exited 0.</summary>
    public CommandOutput EnsureSuccess() =>
        Succeeded ? this : throw new InvalidOperationException($"`{CommandLine}` exited {ExitCode}:\n{Stderr}{Stdout}");

    public override string ToString() => $"`{CommandLine}` -> {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs a program directly (no shell), with an optional environment and a deadline.</summary>
public static class HostCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static CommandOutput Run(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        using var process = Start(command, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"`{string.Join(' ', command)}` did not finish within {limit.TotalSeconds} s:\n{stderr.Result}{stdout.Result}");
        }
        process.WaitForExit();
        return new CommandOutput(string.Join(' ', command), process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a program with redirected stdin, stdout and stderr; the caller owns the process.</summary>
    public static Process Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("empty command", nameof(command));
        }
        var startInfo = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        for (var i = 1; i < command.Count; i++)
        {
            startInfo.ArgumentList.Add(command[i]);
        }
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(name);
                }
                else
                {
                    startInfo.Environment[name] = value;
                }
            }
        }
        try
        {
            return Process.Start(startInfo) ?? throw new InvalidOperationException($"{command[0]} did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {command[0]}: {e.Message}", e);
        }
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Find(string program)
    {
        ArgumentNullException.ThrowIfNull(program);
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
