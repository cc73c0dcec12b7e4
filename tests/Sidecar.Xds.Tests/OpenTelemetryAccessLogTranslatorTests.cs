using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.Grpc.V3;
using Google.Protobuf.WellKnownTypes;
using Opentelemetry.Proto.Common.V1;
using Sidecar.Model;
using Sidecar.Xds.Translation;
using EnvoyAccessLog = Envoy.Config.Accesslog.V3.AccessLog;
using EnvoyOpenTelemetryLog = Envoy.Extensions.AccessLoggers.OpenTelemetry.V3.OpenTelemetryAccessLogConfig;

namespace Sidecar.Xds.Tests;

/// <summary>
/// istiod's OpenTelemetry access log (an envoyOtelAls provider: pilot's buildOpenTelemetryAccessLogConfig, the
/// collector's cluster in <c>common_config.grpc_service</c>, the body and attributes as OTLP values) read into the model.
/// </summary>
public sealed class OpenTelemetryAccessLogTranslatorTests
{
    private const string Collector = "outbound|4317||otel-collector.observability.svc.cluster.local";

    [Fact]
    public void The_collector_the_body_and_the_attributes_come_from_istiods_config()
    {
        var config = Istiod(Collector);
        config.Body = new AnyValue { StringValue = "%REQ(:METHOD)% %RESPONSE_CODE%" };
        config.Attributes = new KeyValueList
        {
            Values =
            {
                new KeyValue { Key = "code", Value = new AnyValue { StringValue = "%RESPONSE_CODE%" } },
                new KeyValue { Key = "path", Value = new AnyValue { StringValue = "%REQ(:PATH)%" } },
            },
        };
        var errors = new TranslationErrors();

        var log = OpenTelemetryAccessLogTranslator.Read([Log(config), File()], errors, "Listener x", "access_log");

        Assert.NotNull(log);
        Assert.Equal("otel_envoy_accesslog", log.Provider);
        Assert.Equal(new Uri("http://otel-collector.observability.svc.cluster.local:4317"), log.Endpoint);
        Assert.Equal(Collector, log.Cluster);
        Assert.Equal("%REQ(:METHOD)% %RESPONSE_CODE%", log.Body);
        Assert.Equal([new AccessLogAttribute("code", "%RESPONSE_CODE%"), new AccessLogAttribute("path", "%REQ(:PATH)%")], log.Attributes.ToArray());
        Assert.Empty(errors.Warnings);
    }

    [Fact]
    public void A_format_Envoy_would_refuse_is_left_out_with_a_warning_and_a_cluster_that_is_no_service_is_not_exported()
    {
        var config = Istiod(Collector);
        config.Body = new AnyValue { StringValue = "%NO_SUCH_OPERATOR%" };
        config.Attributes = new KeyValueList { Values = { new KeyValue { Key = "bad", Value = new AnyValue { StringValue = "%REQ(%" } } } };
        var errors = new TranslationErrors();

        var log = OpenTelemetryAccessLogTranslator.Read([Log(config)], errors, "Listener x", "access_log");

        Assert.NotNull(log);
        Assert.Null(log.Body);
        Assert.Empty(log.Attributes);
        Assert.Equal(2, errors.Warnings.Count);
        Assert.False(errors.Any);

        Assert.Null(OpenTelemetryAccessLogTranslator.Read([Log(Istiod("envoy_accesslog_service"))], errors, "Listener x", "access_log"));
        Assert.Contains(errors.Warnings, w => w.Message.Contains("envoy_accesslog_service", StringComparison.Ordinal));
    }

    [Fact]
    public void No_OpenTelemetry_access_log_is_none()
    {
        Assert.Null(OpenTelemetryAccessLogTranslator.Read([File()], new TranslationErrors(), "Listener x", "access_log"));
    }

    private static EnvoyOpenTelemetryLog Istiod(string cluster) => new()
    {
        CommonConfig = new CommonGrpcAccessLogConfig
        {
            LogName = "otel_envoy_accesslog",
            GrpcService = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = cluster, Authority = "otel-collector.observability.svc.cluster.local" } },
        },
        DisableBuiltinLabels = true,
    };

    private static EnvoyAccessLog Log(EnvoyOpenTelemetryLog config) => new() { Name = "envoy.access_loggers.open_telemetry", TypedConfig = Any.Pack(config) };

    private static EnvoyAccessLog File() => new() { Name = "envoy.access_loggers.file", TypedConfig = Any.Pack(new Envoy.Extensions.AccessLoggers.File.V3.FileAccessLog { Path = "/dev/stdout" }) };
}
