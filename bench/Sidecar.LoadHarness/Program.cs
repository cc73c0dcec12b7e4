using Sidecar.LoadHarness.Cli;

// Run socket continuations on the epoll thread instead of hopping to the thread pool: ours only record a latency and
// issue the next read or send, so the hop would be pure overhead (a wake-up per response). The runtime reads this
// variable once, when the first socket is created, so it must be set before any.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

return await LoadCommandLine.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
