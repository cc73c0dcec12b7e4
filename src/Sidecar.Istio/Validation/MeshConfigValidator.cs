using Sidecar.Istio.Resources.Mesh;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>Checks of the typed MeshConfig fields (Istio's <c>ValidateMeshConfig</c>, for the fields this sidecar reads).</summary>
internal static class MeshConfigValidator
{
    public static void Validate(MeshConfigSpec mesh, ValidationReport report)
    {
        report.Check("data.mesh.connectTimeout", CommonRules.Duration(mesh.ConnectTimeout));
        if (mesh.ConnectTimeout.ToTimeSpan() > TimeSpan.FromSeconds(30))
        {
            report.Error("data.mesh.connectTimeout", $"time {mesh.ConnectTimeout} must be >1ms and <30s");
        }

        report.Error("data.mesh.dnsRefreshRate", "DNS refresh rate only supports durations to seconds precision", mesh.DnsRefreshRate.Nanoseconds % 1_000_000_000 != 0);
        if (mesh.DefaultHttpRetryPolicy is { } retry)
        {
            report.Error("data.mesh.defaultHttpRetryPolicy.attempts", "attempts cannot be negative", retry.Attempts < 0);
            report.Check("data.mesh.defaultHttpRetryPolicy.perTryTimeout", CommonRules.Duration(retry.PerTryTimeout));
        }

        // The mesh setting applies to destinations whose own rules set outlier detection: no warning without it here.
        LocalityLbSettingValidator.Validate(mesh.LocalityLbSetting, hasOutlierDetection: true, "data.mesh.localityLbSetting", report);
        report.Error("data.mesh.defaultConfig.tracing.sampling", "sampling must be between 0.0 and 100.0", mesh.TracingSampling is < 0 or > 100);
        for (var i = 0; i < mesh.TracingProviders.Count; i++)
        {
            var provider = mesh.TracingProviders[i];
            report.Error($"data.mesh.extensionProviders[{i}].name", "empty extension provider name", provider.Name.Length == 0);
            report.Error($"data.mesh.extensionProviders[{i}].{provider.Kind}.service", "service must not be empty", provider.Service.Length == 0);
            report.Error($"data.mesh.extensionProviders[{i}].{provider.Kind}.port", "port number must be in the range 1..65535", provider.Port is < 1 or > 65535);
        }

        foreach (var provider in mesh.ExtAuthzProviders)
        {
            // Istio's validateExtensionProvider for envoyExtAuthzHttp/Grpc.
            var path = $"data.mesh.extensionProviders[{provider.Name}].{provider.Kind}";
            report.Error($"{path}.service", "service must not be empty", provider.Service.Length == 0);
            report.Error($"{path}.port", "port number must be in the range 1..65535", provider.Port is < 1 or > 65535);
            report.Error($"{path}.pathPrefix", $"pathPrefix should begin with `/` but found \"{provider.PathPrefix}\"", provider.PathPrefix is { Length: > 0 } prefix && !prefix.StartsWith('/'));
            report.Error($"{path}.statusOnError", $"invalid statusOnError value {provider.StatusOnError}",
                provider.StatusOnError is { } status && !(int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599));
        }

        foreach (var name in mesh.DefaultTracingProviders)
        {
            if (!mesh.TracingProviders.Any(p => p.Name == name))
            {
                report.Warning("data.mesh.defaultProviders.tracing", $"provider {name} is not a tracing extension provider");
            }
        }

        if (!string.IsNullOrEmpty(mesh.AccessLogFormat))
        {
            var encoding = mesh.AccessLogEncoding == "JSON" ? AccessLogEncoding.Json : AccessLogEncoding.Text;
            if (encoding == AccessLogEncoding.Json && !AccessLogTemplate.IsJsonObject(mesh.AccessLogFormat))
            {
                report.Warning("data.mesh.accessLogFormat", "not a JSON object: the default JSON format is used, as in Istio");
            }
            else if (AccessLogTemplate.Parse(mesh.AccessLogFormat, encoding, out var error) is null)
            {
                report.Error("data.mesh.accessLogFormat", error!);
            }
        }

        foreach (var provider in mesh.AccessLogProviders)
        {
            if (provider.Kind == AccessLogExtensionProvider.OpenTelemetryKind)
            {
                ValidateOpenTelemetryProvider(provider, report);
                continue;
            }

            var path = $"data.mesh.extensionProviders[{provider.Name}].envoyFileAccessLog.logFormat";
            report.Error(path, "only one of text or labels may be set", provider.Text is not null && provider.Labels is not null);
            if (provider.Text is { Length: > 0 } text && AccessLogTemplate.Parse(text, AccessLogEncoding.Text, out var textError) is null)
            {
                report.Error($"{path}.text", textError!);
            }
            else if (provider.Labels is { } labels && AccessLogTemplate.Parse(Translation.TelemetryTranslator.JsonFormat(labels), AccessLogEncoding.Json, out var labelsError) is null)
            {
                report.Error($"{path}.labels", labelsError!);
            }
        }

        foreach (var field in mesh.UntypedFields)
        {
            report.Warning($"data.mesh.{field}", "not used by this sidecar");
        }
    }

    /// <summary>
    /// Istio's validateExtensionProvider for <c>envoyOtelAls</c> (the collector's service and port), and the formats
    /// Envoy would refuse: the body (<c>logFormat.text</c>) and each attribute (<c>logFormat.labels</c>), which are
    /// text formats without the file log's line break.
    /// </summary>
    private static void ValidateOpenTelemetryProvider(AccessLogExtensionProvider provider, ValidationReport report)
    {
        var path = $"data.mesh.extensionProviders[{provider.Name}].{AccessLogExtensionProvider.OpenTelemetryKind}";
        report.Error($"{path}.service", "service must not be empty", provider.Service.Length == 0);
        report.Error($"{path}.port", "port number must be in the range 1..65535", provider.Port is < 1 or > 65535);
        if (provider.Text is { Length: > 0 } text && AccessLogTemplate.ParseHeaderValue(text, out var textError) is null)
        {
            report.Error($"{path}.logFormat.text", textError!);
        }

        foreach (var (key, format) in provider.Labels ?? [])
        {
            if (AccessLogTemplate.ParseHeaderValue(format, out var labelError) is null)
            {
                report.Error($"{path}.logFormat.labels.{key}", labelError!);
            }
        }
    }
}
