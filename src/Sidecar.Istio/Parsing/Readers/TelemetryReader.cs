using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Telemetry;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>
/// Reads a <c>Telemetry</c> spec strictly (<c>targetRef</c>s, which only gateways and waypoints use, are noted, not read).
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
            string? mode = null;
            if (item.Object("match") is { } match)
            {
                mode = match.Enum("mode", "CLIENT_AND_SERVER", "CLIENT", "SERVER");
                match.RejectUnknownFields();
            }

            string? filter = null;
            if (item.Object("filter") is { } filterObject)
            {
                filter = filterObject.String("expression");
                filterObject.RejectUnknownFields();
            }

            item.RejectUnknownFields();
            accessLogging.Add(new TelemetryAccessLogging(providers, disabled, mode, filter));
        }

        var tracing = new List<TelemetryTracing>();
        foreach (var item in spec.ObjectList("tracing") ?? [])
        {
            var providers = Providers(item);
            var percentage = item.Double("randomSamplingPercentage");
            var disable = item.Bool("disableSpanReporting");
            string? mode = null;
            if (item.Object("match") is { } match)
            {
                mode = match.Enum("mode", "CLIENT_AND_SERVER", "CLIENT", "SERVER");
                match.RejectUnknownFields();
            }

            var customTags = TracingCustomTagsReader.Read(item, "customTags");
            var istioTags = item.Bool("enableIstioTags");
            var noPropagation = item.Bool("disableContextPropagation");
            item.Ignore("useRequestIdForTraceSampling");
            item.RejectUnknownFields();
            tracing.Add(new TelemetryTracing(providers, percentage, disable)
            {
                Mode = mode,
                CustomTags = customTags,
                EnableIstioTags = istioTags,
                DisableContextPropagation = noPropagation,
            });
        }

        var metrics = new List<TelemetryMetrics>();
        foreach (var item in spec.ObjectList("metrics") ?? [])
        {
            var providers = Providers(item);
            var overrides = new List<TelemetryMetricOverride>();
            foreach (var entry in item.ObjectList("overrides") ?? [])
            {
                overrides.Add(Override(entry));
            }

            // reportingInterval only paces push-based providers (Stackdriver); Prometheus is scraped.
            item.Ignore("reportingInterval");
            item.RejectUnknownFields();
            metrics.Add(new TelemetryMetrics(providers, overrides));
        }

        var hasTargetRefs = spec.Has("targetRef") || spec.Has("targetRefs");
        spec.Ignore("targetRef", "targetRefs");
        spec.RejectUnknownFields();
        return new TelemetrySpec { Selector = selector, AccessLogging = accessLogging, Tracing = tracing, Metrics = metrics, HasTargetRefs = hasTargetRefs };
    }

    private static TelemetryMetricOverride Override(YamlObject entry)
    {
        string? metric = null, customMetric = null, mode = null;
        if (entry.Object("match") is { } match)
        {
            metric = match.Enum("metric", MetricNames);
            customMetric = match.String("customMetric");
            mode = match.Enum("mode", "CLIENT_AND_SERVER", "CLIENT", "SERVER");
            match.RejectUnknownFields();
        }

        var tags = new List<TelemetryTagOverride>();
        foreach (var (name, tag) in entry.ObjectMap("tagOverrides") ?? [])
        {
            tags.Add(new TelemetryTagOverride(name, tag.Enum("operation", "UPSERT", "REMOVE"), tag.String("value")));
            tag.RejectUnknownFields();
        }

        var disabled = entry.Bool("disabled");
        entry.RejectUnknownFields();
        return new TelemetryMetricOverride(metric, customMetric, mode, disabled, tags);
    }

    /// <summary>Istio's <c>MetricSelector.IstioMetric</c> values.</summary>
    private static readonly string[] MetricNames =
    [
        "ALL_METRICS", "REQUEST_COUNT", "REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE", "TCP_OPENED_CONNECTIONS",
        "TCP_CLOSED_CONNECTIONS", "TCP_SENT_BYTES", "TCP_RECEIVED_BYTES", "GRPC_REQUEST_MESSAGES", "GRPC_RESPONSE_MESSAGES",
    ];

    private static List<string> Providers(YamlObject item)
    {
        var names = new List<string>();
        foreach (var provider in item.ObjectList("providers") ?? [])
        {
            // A provider without a name is kept as "" so validation can refuse it, as Istio does.
            names.Add(provider.String("name") ?? "");

            provider.RejectUnknownFields();
        }

        return names;
    }
}
