using System.Text.Json.Serialization;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Reporting;

/// <summary>
/// The outcome of one run. Latency covers every request due in the measured window that got a complete response,
/// whatever its status, timed from when the request was due (open loop) or sent (closed loop); requests without a
/// response are counted in <see cref="ErrorCounts"/> instead.
/// </summary>
public sealed record LoadReport
{
    /// <param name="scenario">The scenario that ran.</param>
    /// <param name="distribution">The full latency distribution.</param>
    public LoadReport(LoadScenario scenario, LatencyDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(distribution);
        Scenario = scenario;
        Distribution = distribution;
    }

    /// <summary>The scenario that ran.</summary>
    [JsonIgnore]
    public LoadScenario Scenario { get; }

    public required string Url { get; init; }

    public required string Method { get; init; }

    /// <summary>HTTP/1.1 or HTTP/2.</summary>
    public required string Protocol { get; init; }

    /// <summary>"open" (fixed rate) or "closed" (maximum throughput).</summary>
    public required string Mode { get; init; }

    /// <summary>The requested rate; 0 for a closed-loop run.</summary>
    public double TargetRate { get; init; }

    public int Connections { get; init; }

    public int StreamsPerConnection { get; init; }

    public int PayloadBytes { get; init; }

    public double WarmupSeconds { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>Requests due in the measured window (open loop), or sent in it (closed loop).</summary>
    public long Requests { get; init; }

    /// <summary>Complete responses, any status.</summary>
    public long Responses { get; init; }

    /// <summary>Responses with a 2xx status.</summary>
    public long Succeeded { get; init; }

    /// <summary>Requests with no complete response.</summary>
    public long Errors { get; init; }

    /// <summary>From the start of the measured window to the last measured response (at least the duration).</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Responses per second over <see cref="ElapsedSeconds"/>.</summary>
    public double AchievedRate { get; init; }

    public required LatencySummary Latency { get; init; }

    /// <summary>
    /// Open loop: from each request's due time to its being written to the connection (or queued, when every
    /// connection was busy): the generator's own delay, already inside <see cref="Latency"/>. Empty closed loop.
    /// </summary>
    public required LatencySummary DispatchLag { get; init; }

    /// <summary>Response counts by status code ("200", "503").</summary>
    public required IReadOnlyDictionary<string, long> StatusCounts { get; init; }

    /// <summary>Error counts by kind ("timeout", "connect", "reset", ...).</summary>
    public required IReadOnlyDictionary<string, long> ErrorCounts { get; init; }

    public long BytesReceived { get; init; }

    /// <summary>Outcomes of warmup requests (not in any other figure).</summary>
    public long WarmupRequests { get; init; }

    /// <summary>This process's CPU time over the measured window, as a percentage of one core.</summary>
    public double ClientCpuPercent { get; init; }

    /// <summary>Managed memory this process allocated over the measured window, per request.</summary>
    public double ClientAllocatedBytesPerRequest { get; init; }

    /// <summary>True when the run was cancelled before it finished.</summary>
    public bool Cancelled { get; init; }

    /// <summary>The full latency distribution.</summary>
    [JsonIgnore]
    public LatencyDistribution Distribution { get; }
}
