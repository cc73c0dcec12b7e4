using Sidecar.LoadHarness.Reporting;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>One scenario's load report and what each proxy process cost during the measured window.</summary>
/// <param name="Name">The scenario or target.</param>
/// <param name="Report">The measured run (for repeated runs, the median one by rate).</param>
/// <param name="Proxies">Each proxy's cost during that run.</param>
internal sealed record ScenarioResult(string Name, LoadReport Report, IReadOnlyList<ProcessCost> Proxies)
{
    /// <summary>The achieved rate of every run when the scenario was repeated, in the order they ran.</summary>
    public IReadOnlyList<double> RoundRates { get; init; } = [];

    /// <summary>
    /// The run with the median rate among repeated runs of one target (the lower middle one for an even count, so the
    /// figure is a run that happened), carrying every run's rate.
    /// </summary>
    public static ScenarioResult Median(IReadOnlyList<ScenarioResult> runs)
    {
        if (runs.Count == 0)
        {
            throw new ArgumentException("no runs to take the median of", nameof(runs));
        }

        var byRate = runs.OrderBy(r => r.Report.AchievedRate).ToArray();
        return byRate[(byRate.Length - 1) / 2] with { RoundRates = runs.Select(r => r.Report.AchievedRate).ToArray() };
    }
}

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
