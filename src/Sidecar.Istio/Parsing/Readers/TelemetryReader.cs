using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Telemetry;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>
/// Reads a <c>Telemetry</c> spec strictly. <c>metrics</c> overrides are accepted but not applied (the standard
/// metrics are always on), which the translation reports as a warning.
/// </summary>
internal static class TelemetryReader
{
    public static TelemetrySpec Read(YamlObject spec)
    {
        IReadOnlyDictionary<string, string>? selector = null;
        if (spec.Object("selector") is { } selectorObject)
        {
            selector = selectorObject.StringDictionary("matchLabels") ?? ResourceMetadata.EmptyMap;
            selectorObject.RejectUnknownFields();
        }

        var accessLogging = new List<TelemetryAccessLogging>();
        foreach (var item in spec.ObjectList("accessLogging") ?? [])
        {
            var providers = Providers(item);
            var disabled = item.Bool("disabled");
            item.Ignore("match", "filter");
            item.RejectUnknownFields();
            accessLogging.Add(new TelemetryAccessLogging(providers, disabled));
        }

        var tracing = new List<TelemetryTracing>();
        foreach (var item in spec.ObjectList("tracing") ?? [])
        {
            var providers = Providers(item);
            var percentage = item.Double("randomSamplingPercentage");
            var disable = item.Bool("disableSpanReporting");
            item.Ignore("match", "customTags", "useRequestIdForTraceSampling");
            item.RejectUnknownFields();
            tracing.Add(new TelemetryTracing(providers, percentage, disable));
        }

        var metrics = spec.Has("metrics");
        spec.Ignore("metrics", "targetRef", "targetRefs");
        spec.RejectUnknownFields();
        return new TelemetrySpec { Selector = selector, AccessLogging = accessLogging, Tracing = tracing, Metrics = metrics };
    }

    private static List<string> Providers(YamlObject item)
    {
        var names = new List<string>();
        foreach (var provider in item.ObjectList("providers") ?? [])
        {
            if (provider.String("name") is { } name)
            {
                names.Add(name);
            }

            provider.RejectUnknownFields();
        }

        return names;
    }
}
