using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>What <c>loadgen compare</c> was asked to run.</summary>
internal sealed record ComparisonOptions
{
    /// <summary>The sidecar to measure: the NativeAOT binary, or Sidecar.dll.</summary>
    public required string Sidecar { get; init; }

    /// <summary>The bookinfo workloads (its echo role is the backend): binary or bookinfo.dll.</summary>
    public required string Backend { get; init; }

    /// <summary>The bare YARP forwarder for the throughput comparison, or null to skip it.</summary>
    public string? BareYarp { get; init; }

    /// <summary>HAProxy's executable for the throughput comparison, or null to skip it.</summary>
    public string? HaProxy { get; init; }

    public double Rate { get; init; } = 1000;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public int Connections { get; init; } = 16;

    public int PayloadBytes { get; init; } = 1024;

    public HttpProtocol Protocol { get; init; } = HttpProtocol.Http11;

    /// <summary>Also run closed-loop throughput: direct, sidecar, bare YARP and HAProxy on the same backend.</summary>
    public bool Saturate { get; init; }

    /// <summary>
    /// Also measure, at saturation, the sidecar with one event loop (<c>--concurrency 1</c>, Istio's
    /// <c>concurrency: 1</c>) and the bare YARP forwarder with one socket thread: the like-for-like pair for
    /// HAProxy's one thread.
    /// </summary>
    public bool OneLoop { get; init; } = true;

    /// <summary>Closed-loop runs per target, round-robin over the targets; each figure is the median run.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>How many times the sidecar is started to measure start to ready (0: not measured).</summary>
    public int Starts { get; init; } = 5;

    /// <summary>Extra arguments for every sidecar (e.g. a log level).</summary>
    public IReadOnlyList<string> SidecarArguments { get; init; } = [];
}
