using System.Text.Json;
using Sidecar.LoadHarness.Recording;
using Sidecar.LoadHarness.Reporting;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Tests.Reporting;

public sealed class ReportTests
{
    private static LoadReport SampleReport()
    {
        var scenario = new LoadScenario { Url = new Uri("http://127.0.0.1:9080/"), Rate = 1000, Connections = 16, PayloadBytes = 1024 };
        var recorder = new LatencyRecorder(measureStart: 0, ticksPerSecond: 1_000_000);
        for (var i = 1; i <= 1000; i++)
        {
            recorder.RecordResponse(intended: 0, completed: i * 10, status: i <= 990 ? 200 : 503, bytes: 1024);
        }

        recorder.RecordError(intended: 0, ErrorKind.Timeout);
        return ReportBuilder.Build(scenario, scenario.Url, recorder, requests: 1001, elapsedSeconds: 1.0, clientCpuPercent: 5, clientAllocatedBytes: 2002, cancelled: false);
    }

    [Fact]
    public void The_report_sums_statuses_and_errors_and_takes_percentiles()
    {
        var report = SampleReport();

        Assert.Equal(1000, report.Responses);
        Assert.Equal(990, report.Succeeded);
        Assert.Equal(1, report.Errors);
        Assert.Equal(1000, report.AchievedRate);
        Assert.Equal(2, report.ClientAllocatedBytesPerRequest);
        Assert.Equal(new Dictionary<string, long> { ["200"] = 990, ["503"] = 10 }, report.StatusCounts);
        Assert.Equal(new Dictionary<string, long> { ["timeout"] = 1 }, report.ErrorCounts);
        Assert.InRange(report.Latency.P50Us, 4_990, 5_010);
        Assert.InRange(report.Latency.P99Us, 9_890, 9_910);
        Assert.InRange(report.Latency.MaxUs, 9_990, 10_010);
        Assert.InRange(report.Distribution.ValueAtPercentile(90), 8_990, 9_010);
    }

    [Fact]
    public void The_table_shows_percentiles_in_milliseconds()
    {
        using var writer = new StringWriter();

        ReportTable.Write(SampleReport(), writer);

        var text = writer.ToString();
        Assert.Contains("open loop at 1000 req/s, 16 connections", text, StringComparison.Ordinal);
        Assert.Contains("p99.9", text, StringComparison.Ordinal);
        Assert.Contains("5.00", text, StringComparison.Ordinal); // p50 ≈ 5 ms
        Assert.Contains("200: 990, 503: 10", text, StringComparison.Ordinal);
        Assert.Contains("timeout: 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_report_carries_the_figures()
    {
        var json = JsonSerializer.Serialize(SampleReport(), ReportJsonContext.Default.LoadReport);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("open", root.GetProperty("mode").GetString());
        Assert.Equal(1000, root.GetProperty("responses").GetInt64());
        Assert.Equal(990, root.GetProperty("statusCounts").GetProperty("200").GetInt64());
        Assert.True(root.GetProperty("latency").GetProperty("p99Us").GetInt64() > 0);
        Assert.False(root.TryGetProperty("scenario", out _));
    }

    [Fact]
    public void The_percentile_distribution_is_hdr_histogram_text()
    {
        using var writer = new StringWriter();

        SampleReport().Distribution.WritePercentileDistribution(writer);

        Assert.Contains("Value     Percentile TotalCount 1/(1-Percentile)", writer.ToString(), StringComparison.Ordinal);
        Assert.Contains("#[Max", writer.ToString(), StringComparison.Ordinal);
    }
}
