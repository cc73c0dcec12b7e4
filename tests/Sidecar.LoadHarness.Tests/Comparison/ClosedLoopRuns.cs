using Sidecar.LoadHarness.Comparison;
using Sidecar.LoadHarness.Recording;
using Sidecar.LoadHarness.Reporting;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Tests.Comparison;

/// <summary>Closed-loop results as the comparison records them, built from real latency recordings.</summary>
internal static class ClosedLoopRuns
{
    /// <summary>A closed-loop report of <paramref name="responses"/> responses over one second, for <paramref name="name"/>.</summary>
    public static ScenarioResult Run(int responses, double cpuSeconds, string name = ComparisonTargets.Sidecar)
    {
        var scenario = new LoadScenario { Url = new Uri("http://127.0.0.1:9080/"), Rate = 0, Connections = 16 };
        var recorder = new LatencyRecorder(measureStart: 0, ticksPerSecond: 1_000_000);
        for (var i = 0; i < responses; i++)
        {
            recorder.RecordResponse(intended: 0, completed: 100, status: 200, bytes: 1024);
        }

        var report = ReportBuilder.Build(scenario, scenario.Url, recorder, requests: responses, elapsedSeconds: 1.0, clientCpuPercent: 0, clientAllocatedBytes: 0, cancelled: false);
        return new ScenarioResult(name, report, [new ProcessCost("client sidecar", cpuSeconds, 1.0, 0)]);
    }
}
