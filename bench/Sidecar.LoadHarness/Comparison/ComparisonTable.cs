using System.Globalization;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// The comparison as one table: latency percentiles per scenario, the latency each adds over the direct baseline,
/// and each proxy's CPU (vCPU) and peak RSS; then the throughput table when saturation runs were made.
/// </summary>
internal static class ComparisonTable
{
    public static void Write(TextWriter output, ComparisonResults results, int payloadBytes)
    {
        var (latency, startup, throughput) = results;
        var direct = latency.FirstOrDefault(r => r.Name == "direct");
        if (latency.Count > 0)
        {
            var report = latency[0].Report;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Open loop: {report.TargetRate:0} requests/s, {report.Connections} connections, {payloadBytes} B responses, {report.Protocol}, {report.DurationSeconds:0.#} s measured (latency in ms)."));
            output.WriteLine();
            output.WriteLine("| scenario | rate | p50 | p90 | p99 | p99.9 | added p50 | added p90 | added p99 | added p99.9 | errors | proxy CPU (vCPU) | proxy peak RSS (MB) |");
            output.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var result in latency)
            {
                var l = Ms.Of(result.Report.Latency);
                var d = direct is null ? null : Ms.Of(direct.Report.Latency);
                string Added(double value, double? baseline) => result == direct || baseline is null ? "-" : (value - baseline.Value).ToString("+0.000;-0.000", CultureInfo.InvariantCulture);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {result.Name} | {result.Report.AchievedRate:0} | {l.P50Ms:0.000} | {l.P90Ms:0.000} | {l.P99Ms:0.000} | {l.P999Ms:0.000} | {Added(l.P50Ms, d?.P50Ms)} | {Added(l.P90Ms, d?.P90Ms)} | {Added(l.P99Ms, d?.P99Ms)} | {Added(l.P999Ms, d?.P999Ms)} | {result.Report.Errors} | {Costs(result, c => c.Vcpu.ToString("0.000", CultureInfo.InvariantCulture))} | {Costs(result, c => (c.PeakRssBytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture))} |"));
            }
        }

        foreach (var start in startup)
        {
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Start to ready ({start.Services} services, {start.ReadyMilliseconds.Count} starts): median {start.MedianMilliseconds:0} ms (each: {string.Join(", ", start.ReadyMilliseconds.Select(ms => ms.ToString("0", CultureInfo.InvariantCulture)))} ms), RSS when ready {start.MedianRssBytes / 1048576.0:0.0} MB."));
        }

        if (throughput.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Closed loop (saturation): {throughput[0].Report.Connections} connections, {payloadBytes} B responses, {throughput[0].Report.DurationSeconds:0.#} s per run; each target's median run of {Math.Max(1, throughput[0].RoundRates.Count)}, taken round-robin."));
            output.WriteLine();
            output.WriteLine("| target | requests/s | every run | vs direct | p50 (ms) | p99 (ms) | proxy CPU (vCPU) | proxy peak RSS (MB) |");
            output.WriteLine("|---|---|---|---|---|---|---|---|");
            var baseline = throughput.FirstOrDefault(r => r.Name == "direct")?.Report.AchievedRate;
            foreach (var result in throughput)
            {
                var ratio = baseline is > 0 ? (result.Report.AchievedRate / baseline.Value).ToString("0.00x", CultureInfo.InvariantCulture) : "-";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {result.Name} | {result.Report.AchievedRate:0} | {string.Join(" / ", result.RoundRates.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))} | {ratio} | {result.Report.Latency.P50Us / 1000.0:0.000} | {result.Report.Latency.P99Us / 1000.0:0.000} | {Costs(result, c => c.Vcpu.ToString("0.00", CultureInfo.InvariantCulture))} | {Costs(result, c => (c.PeakRssBytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture))} |"));
            }

            foreach (var (target, reference) in ComparisonTargets.Ratios)
            {
                var measured = throughput.FirstOrDefault(r => r.Name == target)?.Report.AchievedRate;
                var yardstick = throughput.FirstOrDefault(r => r.Name == reference)?.Report.AchievedRate;
                if (measured is > 0 && yardstick is > 0)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target} / {reference}: {measured.Value / yardstick.Value:0.00}x"));
                }
            }
        }
    }

    /// <summary>Percentiles in milliseconds.</summary>
    private sealed record Ms(double P50Ms, double P90Ms, double P99Ms, double P999Ms)
    {
        public static Ms Of(Reporting.LatencySummary summary) =>
            new(summary.P50Us / 1000.0, summary.P90Us / 1000.0, summary.P99Us / 1000.0, summary.P999Us / 1000.0);
    }

    private static string Costs(ScenarioResult result, Func<ProcessCost, string> format) =>
        result.Proxies.Count == 0 ? "-" : string.Join(" + ", result.Proxies.Select(c => $"{c.Name} {format(c)}"));
}
