using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.Tracing;

/// <summary>
/// What the request path reads of one side's tracing (outbound: CLIENT, inbound: SERVER), resolved from the config
/// and the command-line overrides on each push, and swapped whole.
/// </summary>
internal sealed class SideTracing
{
    public static readonly SideTracing Off = new(false, 0, true, true, SpanCustomTags.None);

    private SideTracing(bool enabled, double samplingPercent, bool istioTags, bool contextPropagation, SpanCustomTags customTags)
    {
        Enabled = enabled;
        SamplingPercent = samplingPercent;
        IstioTags = istioTags;
        ContextPropagation = contextPropagation;
        CustomTags = customTags;
    }

    /// <summary>Whether this side makes spans: <c>enableTracing</c>, a provider, span reporting not disabled.</summary>
    public bool Enabled { get; }

    public double SamplingPercent { get; }

    public bool IstioTags { get; }

    /// <summary>False under <c>disableContextPropagation</c>: trace headers stay here.</summary>
    public bool ContextPropagation { get; }

    public SpanCustomTags CustomTags { get; }

    /// <summary>
    /// This side's settings; <paramref name="previous"/>'s custom tags are kept when unchanged, so environment
    /// variables are read once per change, as Envoy reads them when its config loads.
    /// </summary>
    public static SideTracing From(TracingConfig config, bool tracingEnabled, TracingProviderConfig? provider, double? samplingOverride, SideTracing previous)
    {
        var tags = previous.CustomTags.Config == config.CustomTags ? previous.CustomTags : SpanCustomTags.From(config.CustomTags);
        var enabled = tracingEnabled && provider is not null && !config.SpanReportingDisabled;
        return new SideTracing(enabled, samplingOverride ?? config.SamplingPercent, config.IstioTags, config.ContextPropagation, tags);
    }
}
