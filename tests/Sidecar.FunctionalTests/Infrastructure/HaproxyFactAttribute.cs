namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>
/// A fact that runs HAProxy as an independent peer (its <c>accept-proxy</c> reads the PROXY protocol): skipped,
/// saying so, only where <c>haproxy</c> is not installed. CI's setup installs it, so there it runs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HaproxyFactAttribute : FactAttribute
{
    public HaproxyFactAttribute()
    {
        if (Path is null)
        {
            Skip = "needs haproxy on PATH (Debian's haproxy package; .ci/setup installs it)";
        }
    }

    /// <summary>Where haproxy is, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Append("/usr/sbin")
        .Select(directory => System.IO.Path.Combine(directory, "haproxy"))
        .FirstOrDefault(File.Exists);
}
