namespace Sidecar.Model;

/// <summary>
/// Tracing for one side of the workload, as istiod computes Istio's <c>TracingSpec</c> for its CLIENT (outbound) and
/// SERVER (inbound) listeners: the mesh config's defaults, then each Telemetry <c>tracing[]</c> entry whose
/// <c>match.mode</c> covers the side.
/// </summary>
public sealed record TracingConfig
{
    public static readonly TracingConfig Default = new();

    /// <summary>Telemetry <c>disableSpanReporting</c>: no spans are made on this side (trace headers still pass).</summary>
    public bool SpanReportingDisabled { get; init; }

    /// <summary>The percentage of new traces sampled: <c>randomSamplingPercentage</c>, else <c>defaultConfig.tracing.sampling</c> (default 1).</summary>
    public double SamplingPercent { get; init; } = 1.0;

    /// <summary><c>enableIstioTags</c> (default true): spans carry the <c>istio.*</c> tags.</summary>
    public bool IstioTags { get; init; } = true;

    /// <summary><c>disableContextPropagation</c> turns this off: no trace headers go upstream.</summary>
    public bool ContextPropagation { get; init; } = true;

    /// <summary>
    /// Custom span tags, ordered by tag name: the most specific Telemetry's <c>customTags</c> (a later map replaces an
    /// earlier one whole, as Istio merges them), else the mesh config's <c>defaultConfig.tracing.customTags</c>.
    /// </summary>
    public EquatableArray<TracingCustomTag> CustomTags { get; init; }

    /// <summary>The collector this side's spans go to; null: none (no span is made, as Istio disables such a side).</summary>
    public TracingProviderConfig? Provider { get; init; }
}
