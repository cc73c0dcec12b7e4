using Sidecar.LoadHarness.Reporting;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>One scenario's load report and what each proxy process cost during the measured window.</summary>
internal sealed record ScenarioResult(string Name, LoadReport Report, IReadOnlyList<ProcessCost> Proxies);

/// <summary>A proxy process's CPU over the measured window and its peak memory.</summary>
/// <param name="Name">Which proxy (client sidecar, server sidecar, bare-yarp, haproxy).</param>
/// <param name="CpuSeconds">User + system CPU spent during the measured window.</param>
/// <param name="WindowSeconds">The measured window.</param>
/// <param name="PeakRssBytes">Peak resident set size during the measured window.</param>
internal sealed record ProcessCost(string Name, double CpuSeconds, double WindowSeconds, long PeakRssBytes)
{
    /// <summary>Average cores used: CPU seconds per second of the window (Istio reports vCPU this way).</summary>
    public double Vcpu => WindowSeconds > 0 ? CpuSeconds / WindowSeconds : 0;
}
