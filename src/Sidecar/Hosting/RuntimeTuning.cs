using System.Globalization;

namespace Sidecar.Hosting;

/// <summary>
/// Runtime settings a proxy wants and the runtime only reads from the environment. Socket completions run inline on
/// the epoll thread, so a request is read, routed, forwarded and answered without hopping between threads: at
/// 1000 requests/s that halves the sidecar's CPU, most of which was thread wake-ups (see README, Performance). The
/// data path never blocks, which is what inline completion requires. With completions inline, the socket event loops
/// are the proxy's worker threads, so their number is Istio's <c>concurrency</c>. An operator's own value always wins.
/// </summary>
internal static class RuntimeTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string SocketThreads = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Istio's default worker threads for a sidecar.</summary>
    private const int DefaultConcurrency = 2;

    /// <summary>Call first thing in <c>Main</c>, before any socket exists (the runtime reads these once).</summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }

    /// <summary>
    /// Sets the number of socket event loops before the first socket is made, and returns the number in effect.
    /// <paramref name="requested"/>: null for Istio's default (2, capped by the CPUs this process may use, which .NET
    /// reads from the CPU limit as Istio sizes a limited sidecar), 0 for one per CPU.
    /// </summary>
    public static int ApplyConcurrency(int? requested)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(SocketThreads), NumberStyles.None, CultureInfo.InvariantCulture, out var fromEnvironment) && fromEnvironment > 0)
        {
            return fromEnvironment;
        }

        var workers = Concurrency(requested, Environment.ProcessorCount);
        Environment.SetEnvironmentVariable(SocketThreads, workers.ToString(CultureInfo.InvariantCulture));
        return workers;
    }

    /// <summary>The worker threads for a request (<c>--concurrency</c>) on a process that may use <paramref name="processors"/> CPUs.</summary>
    private static int Concurrency(int? requested, int processors) => requested switch
    {
        null => Math.Min(DefaultConcurrency, processors),
        0 => processors,
        var n => n.Value,
    };
}
