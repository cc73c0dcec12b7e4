using Microsoft.Extensions.Time.Testing;
using Sidecar.Testing.Netns;

namespace Sidecar.Init.Tests;

/// <summary>Runs sidecar-init: in process (dry runs, option errors) or as a process inside a network namespace.</summary>
internal static class SidecarInit
{
    /// <summary>What one in-process run printed.</summary>
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs the program in process with exactly <paramref name="environment"/> (nothing leaks from the host's).</summary>
    public static Outcome Run(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = environment ?? new Dictionary<string, string>();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = CaptureCommand.Run(args, name => env.GetValueOrDefault(name), stdout, stderr,
            new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero)));
        return new Outcome(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A --dry-run for an IPv4 pod (10.0.0.1), the way most golden cases are stated.</summary>
    public static Outcome DryRun(params string[] args) => Run([.. args, "--dry-run", "--pod-ips", "10.0.0.1"]);

    /// <summary>The command line that runs the built program (dotnet exec sidecar-init.dll).</summary>
    public static string[] Command(params string[] args) => [DotnetHost, "exec", Assembly, .. args];

    /// <summary>Runs the built program inside <paramref name="ns"/>, as root with all capabilities.</summary>
    public static CommandOutput RunIn(NetworkNamespace ns, params string[] args) =>
        ns.Exec(Command(args), environment: null);

    private static string Assembly => Path.Combine(AppContext.BaseDirectory, "sidecar-init.dll");

    /// <summary>The dotnet host that runs these tests (the CLI exports it to test hosts as DOTNET_HOST_PATH).</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : HostCommand.Find("dotnet") ?? "/usr/share/dotnet/dotnet";
}
