using System.ComponentModel;
using System.Diagnostics;

namespace Sidecar.Init.Processes;

/// <summary>What an external command did: its exit code and output, or that it could not be started.</summary>
internal readonly record struct CommandResult(int ExitCode, string Stdout, string Stderr, bool NotFound = false)
{
    public bool Succeeded => ExitCode == 0 && !NotFound;

    /// <summary>The error text worth showing: stderr, else stdout, trimmed.</summary>
    public string ErrorText => (Stderr.Length > 0 ? Stderr : Stdout).Trim();
}

/// <summary>Runs a program with arguments (never through a shell), feeding stdin and collecting both outputs.</summary>
internal static class ExternalCommand
{
    /// <summary>iptables holds the xtables lock for at most --wait=30 seconds; anything much longer is stuck.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static CommandResult Run(string fileName, IReadOnlyList<string> arguments, string? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{fileName} did not start");
        }
        catch (Win32Exception e)
        {
            return new CommandResult(127, string.Empty, $"{fileName}: {e.Message}", NotFound: true);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                if (stdin is not null)
                {
                    process.StandardInput.Write(stdin);
                }
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program exited without reading its input; its exit code and stderr tell why.
            }
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return new CommandResult(124, stdout.Result, $"{fileName} did not finish within {Timeout.TotalSeconds} s");
            }
            process.WaitForExit();
            return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
