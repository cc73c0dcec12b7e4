namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// Start to ready over several starts of the same sidecar and config: from starting the process to the first 200
/// from <c>/healthz/ready</c>, and the RSS at that moment.
/// </summary>
/// <param name="Services">Services in the sidecar's config.</param>
/// <param name="ReadyMilliseconds">One figure per start.</param>
/// <param name="ReadyRssBytes">RSS when ready, one per start.</param>
internal sealed record StartupResult(int Services, IReadOnlyList<double> ReadyMilliseconds, IReadOnlyList<long> ReadyRssBytes)
{
    public double MedianMilliseconds => Median(ReadyMilliseconds);

    public double MedianRssBytes => Median(ReadyRssBytes.Select(b => (double)b).ToArray());

    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
