using System.Globalization;

namespace Sidecar.LoadHarness.Reporting;

/// <summary>Writes a <see cref="LoadReport"/> as a short plain-text table (latencies in milliseconds).</summary>
public static class ReportTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Writes <paramref name="report"/> to <paramref name="writer"/>.</summary>
    public static void Write(LoadReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        var open = report.Mode == "open";
        writer.WriteLine(string.Create(Invariant, $"target    {report.Method} {report.Url} {report.Protocol}"));
        var mode = open ? string.Create(Invariant, $"open loop at {report.TargetRate:0.##} req/s") : "closed loop (maximum throughput)";
        writer.WriteLine(string.Create(
            Invariant,
            $"mode      {mode}, {report.Connections} connections{Streams(report)}, {report.DurationSeconds:0.##} s after {report.WarmupSeconds:0.##} s warmup{(report.Cancelled ? " (cancelled)" : string.Empty)}"));
        writer.WriteLine(string.Create(
            Invariant,
            $"requests  {report.Requests} {(open ? "due" : "sent")}, {report.Responses} responses ({report.Succeeded} 2xx), {report.Errors} errors"));
        writer.WriteLine(string.Create(Invariant, $"rate      {report.AchievedRate:0.0} req/s over {report.ElapsedSeconds:0.000} s"));
        var lag = open ? $", send lag p50 {Ms(report.DispatchLag.P50Us)} p99 {Ms(report.DispatchLag.P99Us)} max {Ms(report.DispatchLag.MaxUs)} ms" : string.Empty;
        writer.WriteLine(string.Create(
            Invariant,
            $"client    CPU {report.ClientCpuPercent:0.0}% of one core, {report.ClientAllocatedBytesPerRequest:0} B allocated/request, {report.BytesReceived / 1_000_000.0:0.0} MB received{lag}"));
        writer.WriteLine();
        writer.WriteLine(open ? "latency (ms, from each request's intended send time)" : "latency (ms, from each request's send time)");
        writer.WriteLine("      p50       p90       p99     p99.9       max      mean");
        var latency = report.Latency;
        writer.WriteLine(string.Create(
            Invariant,
            $"{Ms(latency.P50Us),9} {Ms(latency.P90Us),9} {Ms(latency.P99Us),9} {Ms(latency.P999Us),9} {Ms(latency.MaxUs),9} {latency.MeanUs / 1000.0,9:0.000}"));
        writer.WriteLine();
        writer.WriteLine("status    " + Counts(report.StatusCounts));
        writer.WriteLine("errors    " + Counts(report.ErrorCounts));
    }

    private static string Streams(LoadReport report) =>
        report.Protocol == "HTTP/2" ? string.Create(Invariant, $" x {report.StreamsPerConnection} streams") : string.Empty;

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("0.000", Invariant);

    private static string Counts(IReadOnlyDictionary<string, long> counts)
    {
        if (counts.Count == 0)
        {
            return "none";
        }

        var parts = new List<string>(counts.Count);
        foreach (var (key, count) in counts)
        {
            parts.Add(string.Create(Invariant, $"{key}: {count}"));
        }

        return string.Join(", ", parts);
    }
}
