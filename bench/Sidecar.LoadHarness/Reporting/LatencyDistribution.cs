using HdrHistogram;

namespace Sidecar.LoadHarness.Reporting;

/// <summary>
/// The full recorded latency distribution of a run (HdrHistogram, microseconds, 3 significant digits), for
/// percentiles beyond the summary and for comparing runs.
/// </summary>
public sealed class LatencyDistribution
{
    private readonly HistogramBase _histogram;

    internal LatencyDistribution(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        _histogram = histogram;
    }

    /// <summary>The number of recorded latencies.</summary>
    public long Count => _histogram.TotalCount;

    /// <summary>The latency at <paramref name="percentile"/> (0 to 100), in microseconds.</summary>
    public long ValueAtPercentile(double percentile) =>
        _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(percentile);

    /// <summary>Writes HdrHistogram's percentile distribution (.hgrm text, values in milliseconds).</summary>
    public void WritePercentileDistribution(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _histogram.OutputPercentileDistribution(writer, percentileTicksPerHalfDistance: 5, outputValueUnitScalingRatio: 1000.0);
    }
}
