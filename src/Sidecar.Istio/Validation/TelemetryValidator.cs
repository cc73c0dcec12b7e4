using System.Globalization;
using Sidecar.Istio.Resources.Telemetry;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's checks on a <c>Telemetry</c> spec, plus a warning for what the sidecar accepts but does not apply.</summary>
internal static class TelemetryValidator
{
    public static void Validate(TelemetrySpec spec, ValidationReport report)
    {
        report.Error("spec", "only one of targetRefs or workloadSelector can be set", spec.Selector is not null && spec.HasTargetRefs);
        ValidateProviderNames("spec.accessLogging", spec.AccessLogging.Select(a => a.Providers), report);
        ValidateProviderNames("spec.tracing", spec.Tracing.Select(t => t.Providers), report);
        ValidateProviderNames("spec.metrics", spec.Metrics.Select(m => m.Providers), report);
        for (var i = 0; i < spec.Tracing.Count; i++)
        {
            if (spec.Tracing[i].RandomSamplingPercentage is { } percentage)
            {
                report.Error(
                    string.Create(CultureInfo.InvariantCulture, $"spec.tracing[{i}].randomSamplingPercentage"),
                    "must be between 0 and 100",
                    when: percentage is < 0 or > 100 || double.IsNaN(percentage));
            }
        }

        for (var i = 0; i < spec.AccessLogging.Count; i++)
        {
            if (spec.AccessLogging[i].Filter is { Length: > 0 } filter && AccessLogFilterExpression.Parse(filter) is null)
            {
                report.Warning(
                    string.Create(CultureInfo.InvariantCulture, $"spec.accessLogging[{i}].filter.expression"),
                    $"'{filter}' is outside the CEL this sidecar evaluates (comparisons of request, response, source, destination and xds attributes with literals, joined by && and ||): every request is logged");
            }
        }

        for (var i = 0; i < spec.Metrics.Count; i++)
        {
            var overrides = spec.Metrics[i].Overrides;
            for (var j = 0; j < overrides.Count; j++)
            {
                ValidateOverride(overrides[j], string.Create(CultureInfo.InvariantCulture, $"spec.metrics[{i}].overrides[{j}]"), report);
            }
        }
    }

    /// <summary>Istio's <c>validateTelemetryProviders</c>: every provider reference names one.</summary>
    private static void ValidateProviderNames(string path, IEnumerable<IReadOnlyList<string>> entries, ValidationReport report)
    {
        var i = 0;
        foreach (var providers in entries)
        {
            for (var j = 0; j < providers.Count; j++)
            {
                report.Error(string.Create(CultureInfo.InvariantCulture, $"{path}[{i}].providers[{j}].name"), "providers.name may not be empty", when: providers[j].Length == 0);
            }

            i++;
        }
    }

    private static void ValidateOverride(TelemetryMetricOverride entry, string path, ValidationReport report)
    {
        if (entry.Metric is not null && entry.CustomMetric is not null)
        {
            report.Error(path + ".match", "only one of metric or customMetric may be set");
        }
        else if (entry.CustomMetric is { Length: 0 })
        {
            report.Error(path + ".match.customMetric", "customMetric may not be empty");
        }
        else if (entry.CustomMetric is not null)
        {
            report.Warning(path + ".match.customMetric", $"{entry.CustomMetric} is not a metric this sidecar reports (only Istio's standard metrics); override ignored");
        }
        else if (entry.Metric is "GRPC_REQUEST_MESSAGES" or "GRPC_RESPONSE_MESSAGES")
        {
            report.Warning(path + ".match.metric", $"{entry.Metric} is not reported by this sidecar (Istio only reports it with the gRPC stats filter); override has no effect");
        }

        foreach (var tag in entry.TagOverrides)
        {
            var field = $"{path}.tagOverrides.{tag.Name}";
            report.Error(field, "tag name may not be empty", when: tag.Name.Length == 0);
            if (tag.Operation == "REMOVE")
            {
                // Istio's own check: a value means nothing for a removed tag.
                report.Error(field + ".value", "must not be set when operation is REMOVE", when: !string.IsNullOrEmpty(tag.Value));
                continue;
            }

            if (string.IsNullOrEmpty(tag.Value))
            {
                report.Error(field + ".value", "must be set when operation is UPSERT");
                continue;
            }

            if (MetricTagExpression.Parse(tag.Value).Source == MetricTagSource.Unsupported)
            {
                report.Warning(field + ".value", $"'{tag.Value}' is outside the attribute expressions this sidecar evaluates (a string literal, request.*, response.code, source.*, destination.*, xds.*); the tag reads \"unknown\"");
            }
        }
    }
}
