using HdrHistogram;

namespace Sidecar.LoadHarness.Reporting;

/// <summary>Percentiles of a latency distribution, in microseconds.</summary>
public sealed record LatencySummary(
    long Count,
    double MeanUs,
    long P50Us,
    long P90Us,
    long P99Us,
    long P999Us,
    long MaxUs)
{
    /// <summary>The summary of an empty distribution: all zero.</summary>
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0, 0);

    internal static LatencySummary From(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
        {
            return Empty;
        }

        return new LatencySummary(
            histogram.TotalCount,
            histogram.GetMean(),
            histogram.GetValueAtPercentile(50),
            histogram.GetValueAtPercentile(90),
            histogram.GetValueAtPercentile(99),
            histogram.GetValueAtPercentile(99.9),
            histogram.GetMaxValue());
    }
}
