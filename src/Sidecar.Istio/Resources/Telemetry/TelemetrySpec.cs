namespace Sidecar.Istio.Resources.Telemetry;

/// <summary>
/// Istio's <c>Telemetry</c> spec (telemetry.istio.io): access logging and tracing for the mesh (root namespace, no
/// selector), a namespace, or the workloads its selector matches.
/// </summary>
public sealed record TelemetrySpec : IstioSpec
{
    /// <summary><c>selector.matchLabels</c>; null for a namespace- or mesh-wide resource.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    public IReadOnlyList<TelemetryAccessLogging> AccessLogging { get; init; } = [];

    public IReadOnlyList<TelemetryTracing> Tracing { get; init; } = [];

    /// <summary>Whether the resource has <c>metrics</c> overrides (accepted, not applied).</summary>
    public bool Metrics { get; init; }
}

/// <summary>One <c>accessLogging</c> entry: <c>providers[].name</c> and <c>disabled</c>.</summary>
public sealed record TelemetryAccessLogging(IReadOnlyList<string> Providers, bool? Disabled);

/// <summary>One <c>tracing</c> entry: <c>providers[].name</c>, <c>randomSamplingPercentage</c>, <c>disableSpanReporting</c>.</summary>
public sealed record TelemetryTracing(IReadOnlyList<string> Providers, double? RandomSamplingPercentage, bool? DisableSpanReporting);
