namespace Sidecar.Hosting;

/// <summary>
/// Runtime settings a proxy wants and the runtime only reads from the environment. Socket completions run inline on
/// the epoll thread, so a request is read, routed, forwarded and answered without hopping between threads: at
/// 1000 requests/s that halves the sidecar's CPU, most of which was thread wake-ups (see README, Performance). The
/// data path never blocks, which is what inline completion requires. An operator's own value always wins.
/// </summary>
internal static class RuntimeTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Call first thing in <c>Main</c>, before any socket exists (the runtime reads these once).</summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }
}
