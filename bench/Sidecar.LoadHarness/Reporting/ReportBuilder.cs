using System.Globalization;
using Sidecar.LoadHarness.Recording;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Reporting;

/// <summary>Turns what a <see cref="LatencyRecorder"/> gathered into a <see cref="LoadReport"/>.</summary>
internal static class ReportBuilder
{
    private const int HighestStatus = 599;

    public static LoadReport Build(
        LoadScenario scenario,
        Uri target,
        LatencyRecorder recorder,
        long requests,
        double elapsedSeconds,
        double clientCpuPercent,
        long clientAllocatedBytes,
        bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(recorder);

        var statuses = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long succeeded = 0;
        for (var status = 0; status <= HighestStatus; status++)
        {
            var count = recorder.StatusCount(status);
            if (count > 0)
            {
                statuses[status.ToString(CultureInfo.InvariantCulture)] = count;
                succeeded += status is >= 200 and < 300 ? count : 0;
            }
        }

        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long errorTotal = 0;
        foreach (var kind in Enum.GetValues<ErrorKind>())
        {
            var count = recorder.ErrorCount(kind);
            if (count > 0)
            {
                errors[kind.ToString().ToLowerInvariant()] = count;
                errorTotal += count;
            }
        }

        var latency = recorder.CopyLatency();
        return new LoadReport(scenario, new LatencyDistribution(latency))
        {
            Url = target.ToString(),
            Method = scenario.Method.Method,
            Protocol = scenario.Protocol == HttpProtocol.Http2 ? "HTTP/2" : "HTTP/1.1",
            Mode = scenario.IsOpenLoop ? "open" : "closed",
            TargetRate = scenario.Rate,
            Connections = scenario.Connections,
            StreamsPerConnection = scenario.Protocol == HttpProtocol.Http2 ? scenario.StreamsPerConnection : 1,
            PayloadBytes = scenario.PayloadBytes,
            WarmupSeconds = scenario.Warmup.TotalSeconds,
            DurationSeconds = scenario.Duration.TotalSeconds,
            Requests = requests,
            Responses = recorder.Responses,
            Succeeded = succeeded,
            Errors = errorTotal,
            ElapsedSeconds = elapsedSeconds,
            AchievedRate = elapsedSeconds > 0 ? recorder.Responses / elapsedSeconds : 0,
            Latency = LatencySummary.From(latency),
            DispatchLag = scenario.IsOpenLoop ? LatencySummary.From(recorder.CopyDispatchLag()) : LatencySummary.Empty,
            StatusCounts = statuses,
            ErrorCounts = errors,
            BytesReceived = recorder.BytesReceived,
            WarmupRequests = recorder.WarmupOutcomes,
            ClientCpuPercent = clientCpuPercent,
            ClientAllocatedBytesPerRequest = requests > 0 ? clientAllocatedBytes / (double)requests : 0,
            Cancelled = cancelled,
        };
    }
}
