namespace Sidecar.LoadHarness.Comparison;

/// <summary>Everything one <c>loadgen compare</c> measured.</summary>
/// <param name="Latency">The fixed-rate scenarios: direct, client sidecar, server sidecar, both.</param>
/// <param name="Startup">Start to ready per config size, when asked for.</param>
/// <param name="Throughput">Closed-loop throughput per target (median of the rounds), when asked for.</param>
internal sealed record ComparisonResults(IReadOnlyList<ScenarioResult> Latency, IReadOnlyList<StartupResult> Startup, IReadOnlyList<ScenarioResult> Throughput);
