using System.Globalization;
using Opentelemetry.Proto.Common.V1;
using Sidecar.Model;
using EnvoyAccessLog = Envoy.Config.Accesslog.V3.AccessLog;
using EnvoyOpenTelemetryLog = Envoy.Extensions.AccessLoggers.OpenTelemetry.V3.OpenTelemetryAccessLogConfig;

namespace Sidecar.Xds.Translation;

/// <summary>
/// The connection managers' OpenTelemetry access log (what istiod writes for a Telemetry naming an
/// <c>envoyOtelAls</c> provider: Envoy's OpenTelemetryAccessLogConfig) as the model's: the collector the gRPC
/// service's cluster names (<c>outbound|4317||otel-collector.observability.svc.cluster.local</c>, reached by its
/// host as the tracing collectors are), the body's format and the attributes'.
/// </summary>
internal static class OpenTelemetryAccessLogTranslator
{
    /// <summary>The OpenTelemetry access log among <paramref name="logs"/>, or null when there is none this sidecar can export.</summary>
    public static OpenTelemetryAccessLogConfig? Read(IEnumerable<EnvoyAccessLog> logs, TranslationErrors errors, string resource, string field)
    {
        foreach (var log in logs)
        {
            if (log.TypedConfig?.TryUnpack<EnvoyOpenTelemetryLog>(out var config) != true)
            {
                continue;
            }

            var cluster = (config.GrpcService ?? config.CommonConfig?.GrpcService)?.EnvoyGrpc?.ClusterName ?? "";
            if (!ClusterName.TryParse(cluster, out var direction, out var port, out _, out var host) || direction != "outbound" || host is null)
            {
                errors.Warn(resource, field, $"OpenTelemetry access log to \"{cluster}\": not an outbound service cluster; not exported");
                continue;
            }

            var body = config.Body?.ValueCase == AnyValue.ValueOneofCase.StringValue ? config.Body.StringValue : null;
            if (body is not null && AccessLogTemplate.ParseHeaderValue(body, out var bodyError) is null)
            {
                errors.Warn(resource, field, $"OpenTelemetry access log body refused ({bodyError}): Istio's default line is used");
                body = null;
            }

            var attributes = new List<AccessLogAttribute>();
            foreach (var attribute in config.Attributes?.Values ?? [])
            {
                var format = attribute.Value?.StringValue ?? "";
                if (AccessLogTemplate.ParseHeaderValue(format, out var error) is null)
                {
                    errors.Warn(resource, field, $"OpenTelemetry access log attribute {attribute.Key} refused ({error}); left out");
                    continue;
                }

                attributes.Add(new AccessLogAttribute(attribute.Key, format));
            }

            var endpoint = new Uri($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}");
            return new OpenTelemetryAccessLogConfig(config.LogName.Length > 0 ? config.LogName : config.CommonConfig?.LogName ?? "", endpoint, body, [.. attributes], cluster);
        }

        return null;
    }
}
