using System.Collections.Concurrent;
using System.Globalization;

namespace Sidecar.Testing.Netns;

/// <summary>
/// Names namespaces uniquely ("sct-PID-N-hint": test processes and test classes running in parallel never collide)
/// and deletes what a test left: on dispose, at process exit, and - for a test process that was killed - at the
/// next start, by removing "sct-" namespaces whose process is gone.
/// </summary>
internal static class NamespaceRegistry
{
    private const string Prefix = "sct-";
    private static readonly ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);
    private static int s_counter;
    private static int s_initialized;

    public static string NewName(string hint)
    {
        EnsureInitialized();
        var n = Interlocked.Increment(ref s_counter);
        var name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{n}-{Sanitize(hint)}");
        Live[name] = 0;
        return name;
    }

    public static void Forget(string name) => Live.TryRemove(name, out _);

    private static void EnsureInitialized()
    {
        if (Interlocked.Exchange(ref s_initialized, 1) != 0)
        {
            return;
        }
        RemoveStale();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var name in Live.Keys)
            {
                HostCommand.Run(["ip", "netns", "del", name]);
            }
        };
    }

    private static void RemoveStale()
    {
        var list = HostCommand.Run(["ip", "netns", "list"]);
        if (!list.Succeeded)
        {
            return;
        }
        foreach (var line in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var pidText = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                HostCommand.Run(["ip", "netns", "del", name]);
            }
        }
    }

    private static string Sanitize(string hint)
    {
        var chars = hint.Where(char.IsAsciiLetterOrDigit).Take(16).ToArray();
        return chars.Length == 0 ? "ns" : new string(chars).ToLowerInvariant();
    }
}
