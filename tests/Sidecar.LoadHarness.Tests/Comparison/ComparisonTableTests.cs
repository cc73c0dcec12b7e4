using Sidecar.LoadHarness.Comparison;
using static Sidecar.LoadHarness.Tests.Comparison.ClosedLoopRuns;

namespace Sidecar.LoadHarness.Tests.Comparison;

public sealed class ComparisonTableTests
{
    private static string Write(params ScenarioResult[] throughput)
    {
        using var output = new StringWriter();
        ComparisonTable.Write(output, new ComparisonResults([], [], throughput), payloadBytes: 1024);
        return output.ToString();
    }

    [Fact]
    public void Each_sidecar_is_compared_with_the_forwarder_of_the_same_event_loops_and_with_one_thread_HAProxy()
    {
        var table = Write(
            Run(30000, 0, "direct"),
            Run(18000, 0.9, ComparisonTargets.Sidecar),
            Run(20000, 0.9, ComparisonTargets.SidecarOneLoop),
            Run(20000, 0.9, ComparisonTargets.BareYarp),
            Run(25000, 0.9, ComparisonTargets.BareYarpOneLoop),
            Run(32000, 0.9, ComparisonTargets.HaProxy));

        var ratios = table.Split('\n', StringSplitOptions.TrimEntries).Where(line => line.Contains(" / ", StringComparison.Ordinal) && line.EndsWith('x')).ToArray();
        Assert.Equal(
            ["sidecar / bare-yarp: 0.90x", "sidecar / haproxy: 0.56x", "sidecar, 1 loop / bare-yarp, 1 loop: 0.80x", "sidecar, 1 loop / haproxy: 0.63x"],
            ratios);
    }

    [Fact]
    public void A_ratio_is_left_out_when_either_side_was_not_measured()
    {
        var table = Write(Run(18000, 0.9, ComparisonTargets.Sidecar), Run(20000, 0.9, ComparisonTargets.BareYarp));

        Assert.Contains("sidecar / bare-yarp: 0.90x", table, StringComparison.Ordinal);
        Assert.DoesNotContain("haproxy", table, StringComparison.Ordinal);
        Assert.DoesNotContain("1 loop", table, StringComparison.Ordinal);
    }
}
