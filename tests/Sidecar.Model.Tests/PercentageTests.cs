using Sidecar.Model;

namespace Sidecar.Model.Tests;

public sealed class PercentageTests
{
    // Istio's fault percentage.value maps to Envoy's FractionalPercent{numerator: value*10000, denominator: MILLION}.
    [Theory]
    [InlineData(100.0, 1_000_000)]
    [InlineData(50.0, 500_000)]
    [InlineData(0.1, 1_000)]
    [InlineData(0.0001, 1)]
    public void Istio_percent_maps_to_parts_per_million(double percent, int expected)
    {
        Assert.Equal(expected, Percentage.FromPercent(percent).PartsPerMillion);
    }
}
