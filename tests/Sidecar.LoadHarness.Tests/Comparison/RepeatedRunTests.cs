using Sidecar.LoadHarness.Comparison;
using static Sidecar.LoadHarness.Tests.Comparison.ClosedLoopRuns;

namespace Sidecar.LoadHarness.Tests.Comparison;

public sealed class RepeatedRunTests
{
    [Fact]
    public void The_median_run_is_reported_with_its_own_costs_and_every_rate_in_run_order()
    {
        var median = ScenarioResult.Median([Run(300, 0.3), Run(100, 0.1), Run(200, 0.2)]);

        Assert.Equal(200, median.Report.AchievedRate);
        Assert.Equal(0.2, median.Proxies[0].Vcpu, precision: 6);
        Assert.Equal([300.0, 100.0, 200.0], median.RoundRates);
    }

    [Fact]
    public void With_an_even_number_of_runs_the_lower_middle_run_is_reported()
    {
        var median = ScenarioResult.Median([Run(400, 0.4), Run(100, 0.1), Run(300, 0.3), Run(200, 0.2)]);

        Assert.Equal(200, median.Report.AchievedRate);
    }

    [Fact]
    public void Start_to_ready_takes_the_median_of_the_starts()
    {
        var startup = new StartupResult(1, [130.0, 180.0, 120.0, 150.0], [30L << 20, 32L << 20, 31L << 20, 29L << 20]);

        Assert.Equal(140.0, startup.MedianMilliseconds);
        Assert.Equal(30.5 * (1 << 20), startup.MedianRssBytes);
    }
}
