namespace Sidecar.LoadHarness.Comparison;

/// <summary>The sidecars a scenario started (client side, server side or both), where load goes, and their shutdown.</summary>
internal sealed class RunningSidecars : IAsyncDisposable
{
    private readonly List<(string Role, ManagedProcess Process)> _processes;

    public RunningSidecars(List<(string Role, ManagedProcess Process)> processes) => _processes = processes;

    /// <summary>Where the load generator sends: the client sidecar's outbound port, or the server sidecar's service port.</summary>
    public Uri Target { get; set; } = new("http://127.0.0.1/");

    /// <summary>Headers every request carries (the Host the client sidecar routes on).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; set; } = [];

    /// <summary>Each sidecar, named by its side, for the CPU and memory columns.</summary>
    public IReadOnlyList<(string Name, ManagedProcess Process)> Proxies =>
        _processes.Select(p => ($"{p.Role} sidecar", p.Process)).ToArray();

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _processes)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }
}
