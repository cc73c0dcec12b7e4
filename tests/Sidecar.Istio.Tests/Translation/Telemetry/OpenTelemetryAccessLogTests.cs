using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Telemetry;

/// <summary>
/// Istio's <c>envoyOtelAls</c> access log provider (MeshConfig.ExtensionProvider.EnvoyOpenTelemetryLogProvider) as
/// Istio builds Envoy's OpenTelemetryAccessLogConfig (pilot/pkg/model/telemetry_logging.go, openTelemetryLog): the
/// body <c>logFormat.text</c> else Istio's default text line, the attributes <c>logFormat.labels</c> sorted by key.
/// </summary>
public sealed class OpenTelemetryAccessLogTests
{
    private const string Mesh = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            accessLogFile: /dev/stdout
            extensionProviders:
            - name: otel
              envoyOtelAls:
                service: observability/otel-collector.observability.svc.cluster.local
                port: 4317
                logName: bookinfo
                logFormat:
                  text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%"
                  labels: {upstream: "%UPSTREAM_CLUSTER%", code: "%RESPONSE_CODE%"}
            - name: otel-default
              envoyOtelAls: {service: otel-collector.observability.svc.cluster.local, port: 4317}
        """;

    /// <summary>A root-namespace Telemetry: the mesh level, with one <c>accessLogging</c> entry.</summary>
    private static string MeshLevel(string accessLogging) => $"""
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {"{"}name: mesh-default, namespace: istio-system{"}"}
        spec:
          accessLogging: [{accessLogging}]
        """;

    /// <summary>A Telemetry selecting the productpage workload, with one <c>accessLogging</c> entry.</summary>
    private static string ProductpageLevel(string accessLogging) => $"""
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {"{"}name: productpage, namespace: default{"}"}
        spec:
          selector: {"{"}matchLabels: {"{"}app: productpage{"}}"}
          accessLogging: [{accessLogging}]
        """;

    [Fact]
    public void The_provider_gives_the_collector_the_body_format_and_the_attributes_sorted_by_key()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, Mesh, MeshLevel("{providers: [{name: otel}]}"))).Mesh.Telemetry;

        var log = Assert.IsType<OpenTelemetryAccessLogConfig>(telemetry.OpenTelemetryAccessLog);
        Assert.Equal("otel", log.Provider);
        // namespace/host names the service: the host is the collector's address.
        Assert.Equal(new Uri("http://otel-collector.observability.svc.cluster.local:4317"), log.Endpoint);
        Assert.Equal("outbound|4317||otel-collector.observability.svc.cluster.local", log.Cluster);
        Assert.Equal("%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE%", log.Body);
        Assert.Equal([new AccessLogAttribute("code", "%RESPONSE_CODE%"), new AccessLogAttribute("upstream", "%UPSTREAM_CLUSTER%")], log.Attributes.ToArray());

        // Named providers replace the mesh config's accessLogFile (Istio's mergeLogs): only the OpenTelemetry log is on.
        Assert.Equal("", telemetry.AccessLogFile);
    }

    [Fact]
    public void Without_a_text_format_the_body_is_Istios_default_line_and_a_file_provider_can_log_beside_it()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, Mesh, MeshLevel("{providers: [{name: envoy}, {name: otel-default}, {name: otel}]}")));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var telemetry = result.Config!.Mesh.Telemetry;

        var log = Assert.IsType<OpenTelemetryAccessLogConfig>(telemetry.OpenTelemetryAccessLog);
        Assert.Equal("otel-default", log.Provider);
        Assert.Null(log.Body);
        Assert.Empty(log.Attributes);
        Assert.Equal("/dev/stdout", telemetry.AccessLogFile);
        Assert.Contains(result.Warnings, w => w.Contains("otel:", StringComparison.Ordinal) && w.Contains("one OpenTelemetry access log", StringComparison.Ordinal));
    }

    [Fact]
    public void A_workload_level_that_names_only_the_file_provider_turns_the_mesh_levels_OpenTelemetry_log_off()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, Mesh, MeshLevel("{providers: [{name: otel}]}"), ProductpageLevel("{providers: [{name: envoy}]}"))).Mesh.Telemetry;

        Assert.Null(telemetry.OpenTelemetryAccessLog);
        Assert.Equal("/dev/stdout", telemetry.AccessLogFile);
    }

    [Fact]
    public void A_level_naming_only_providers_that_do_not_exist_falls_back_to_the_mesh_configs_accessLogFile()
    {
        // Istio's setHTTPAccessLog: no provider resolved (len(cfgs) == 0), the legacy accessLogFile applies.
        var result = Translate(Bookinfo.All(Bookinfo.Services, Mesh, MeshLevel("{providers: [{name: otel}]}"), ProductpageLevel("{providers: [{name: stackdriver}]}")));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("/dev/stdout", result.Config!.Mesh.Telemetry.AccessLogFile);
        Assert.Null(result.Config.Mesh.Telemetry.OpenTelemetryAccessLog);
        Assert.Contains(result.Warnings, w => w.Contains("stackdriver", StringComparison.Ordinal));
    }

    [Fact]
    public void Disabled_turns_the_OpenTelemetry_log_off_too()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultProviders: {accessLogging: [otel]}
                extensionProviders:
                - name: otel
                  envoyOtelAls: {service: otel-collector.observability.svc.cluster.local, port: 4317}
            """, ProductpageLevel("{disabled: true}"))).Mesh.Telemetry;

        Assert.Null(telemetry.OpenTelemetryAccessLog);
        Assert.Equal("", telemetry.AccessLogFile);
    }

    [Theory]
    [InlineData("service: '', port: 4317", "envoyOtelAls.service", "service must not be empty")]
    [InlineData("service: otel.svc, port: 0", "envoyOtelAls.port", "port number must be in the range 1..65535")]
    [InlineData("service: otel.svc, port: 4317, logFormat: {text: '%NO_SUCH_OPERATOR%'}", "envoyOtelAls.logFormat.text", "NO_SUCH_OPERATOR")]
    [InlineData("service: otel.svc, port: 4317, logFormat: {labels: {bad: '%REQ(%'}}", "envoyOtelAls.logFormat.labels.bad", "")]
    public void A_provider_Envoy_would_refuse_is_rejected_with_the_field_named(string provider, string field, string message)
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: otel
                  envoyOtelAls: {{{provider}}}
            """));

        Assert.Contains(errors, e => e.Field == $"data.mesh.extensionProviders[otel].{field}" && e.Message.Contains(message, StringComparison.Ordinal));
    }
}
