using Sidecar.Model;

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

    public IReadOnlyList<TelemetryMetrics> Metrics { get; init; } = [];

    /// <summary>Whether the resource binds to gateways or waypoints by <c>targetRef(s)</c>: a sidecar takes none of it.</summary>
    public bool HasTargetRefs { get; init; }
}

/// <summary>One <c>accessLogging</c> entry: <c>providers[].name</c>, <c>disabled</c>, <c>match.mode</c> and <c>filter.expression</c>.</summary>
public sealed record TelemetryAccessLogging(IReadOnlyList<string> Providers, bool? Disabled, string? Mode = null, string? Filter = null);

/// <summary>One <c>metrics</c> entry: <c>providers[].name</c> (none: the mesh's default metrics providers) and its <c>overrides</c>.</summary>
public sealed record TelemetryMetrics(IReadOnlyList<string> Providers, IReadOnlyList<TelemetryMetricOverride> Overrides);

/// <summary>
/// One <c>overrides</c> entry: <c>match.metric</c> (an <c>IstioMetric</c> name, default ALL_METRICS) or
/// <c>match.customMetric</c>, <c>match.mode</c> (CLIENT_AND_SERVER, CLIENT, SERVER), <c>disabled</c> and <c>tagOverrides</c>.
/// </summary>
public sealed record TelemetryMetricOverride(string? Metric, string? CustomMetric, string? Mode, bool? Disabled, IReadOnlyList<TelemetryTagOverride> TagOverrides);

/// <summary>A <c>tagOverrides</c> entry: the tag name, <c>operation</c> (UPSERT, the default, or REMOVE) and <c>value</c> (a CEL expression).</summary>
public sealed record TelemetryTagOverride(string Name, string? Operation, string? Value);

/// <summary>One <c>tracing</c> entry: <c>providers[].name</c>, <c>randomSamplingPercentage</c>, <c>disableSpanReporting</c>.</summary>
public sealed record TelemetryTracing(IReadOnlyList<string> Providers, double? RandomSamplingPercentage, bool? DisableSpanReporting)
{
    /// <summary><c>match.mode</c> (CLIENT, SERVER, CLIENT_AND_SERVER); null when unset.</summary>
    public string? Mode { get; init; }

    /// <summary><c>customTags</c>, ordered by tag name; null when unset (an empty map given is empty, and replaces the parent's).</summary>
    public IReadOnlyList<TracingCustomTag>? CustomTags { get; init; }

    /// <summary><c>enableIstioTags</c>: whether spans carry the <c>istio.*</c> tags; null when unset.</summary>
    public bool? EnableIstioTags { get; init; }

    /// <summary><c>disableContextPropagation</c>: no trace headers are sent upstream; null when unset.</summary>
    public bool? DisableContextPropagation { get; init; }
}
