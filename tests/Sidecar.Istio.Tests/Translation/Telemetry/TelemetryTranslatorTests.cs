using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Telemetry;

/// <summary>MeshConfig's access log and tracing fields (istio/api mesh/v1alpha1/config.proto) into the model.</summary>
public sealed class TelemetryTranslatorTests
{
    [Fact]
    public void Without_mesh_config_access_logs_are_off_and_sampling_is_Istios_1_percent()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services)).Mesh.Telemetry;

        Assert.Equal("", telemetry.AccessLogFile);
        Assert.Equal(1.0, telemetry.ClientTracing.SamplingPercent);
        Assert.True(telemetry.EnableTracing);
        Assert.Null(telemetry.ClientTracing.Provider);
    }

    [Fact]
    public void AccessLogFile_accessLogEncoding_sampling_and_the_default_tracing_provider_are_translated()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogFile: /dev/stdout
                accessLogEncoding: JSON
                enableTracing: true
                defaultConfig:
                  tracing:
                    sampling: 25.5
                extensionProviders:
                - name: otel
                  opentelemetry:
                    service: opentelemetry-collector.observability.svc.cluster.local
                    port: 4317
                - name: otel-http
                  opentelemetry:
                    service: collector.observability.svc.cluster.local
                    port: 4318
                    http: {path: /v1/traces}
                - name: zipkin
                  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
                defaultProviders:
                  tracing: [otel]
            """)).Mesh.Telemetry;

        Assert.Equal("/dev/stdout", telemetry.AccessLogFile);
        Assert.Equal(AccessLogEncoding.Json, telemetry.AccessLogEncoding);
        Assert.Equal(25.5, telemetry.ClientTracing.SamplingPercent);
        // Spans go through the collector's cluster when the sidecar has it, as Istio's LookupCluster names it.
        Assert.Equal(new TracingProviderConfig("otel", TracingProtocol.OtlpGrpc, new Uri("http://opentelemetry-collector.observability.svc.cluster.local:4317"), "outbound|4317||opentelemetry-collector.observability.svc.cluster.local"), telemetry.ClientTracing.Provider);
    }

    [Theory]
    [InlineData("otel-http", TracingProtocol.OtlpHttp, "http://collector.observability.svc.cluster.local:4318/v1/traces", "outbound|4318||collector.observability.svc.cluster.local")]
    [InlineData("zipkin", TracingProtocol.Zipkin, "http://zipkin.istio-system.svc.cluster.local:9411/api/v2/spans", "outbound|9411||zipkin.istio-system.svc.cluster.local")]
    public void Default_tracing_provider_picks_the_transport_of_its_extension_provider(string name, TracingProtocol protocol, string endpoint, string cluster)
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: otel-http
                  opentelemetry:
                    service: collector.observability.svc.cluster.local
                    port: 4318
                    http: {path: /v1/traces}
                - name: zipkin
                  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
                defaultProviders:
                  tracing: [{{name}}]
            """)).Mesh.Telemetry;

        Assert.Equal(new TracingProviderConfig(name, protocol, new Uri(endpoint), cluster), telemetry.ClientTracing.Provider);
    }

    [Fact]
    public void AccessLogFormat_is_carried_to_the_model()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogFile: /dev/stdout
                accessLogFormat: "[%START_TIME%] %REQ(:METHOD)% %RESPONSE_CODE%"
            """)).Mesh.Telemetry;

        Assert.Equal("[%START_TIME%] %REQ(:METHOD)% %RESPONSE_CODE%", telemetry.AccessLogFormat);
    }

    [Fact]
    public void AccessLogFormat_with_an_operator_Envoy_does_not_know_is_refused_naming_the_field()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogFormat: "%START_TIME% %RESPONSE_COD%"
            """));

        var error = Assert.Single(errors);
        Assert.Equal("data.mesh.accessLogFormat", error.Field);
        Assert.Contains("%RESPONSE_COD%", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccessLogFormat_that_is_not_a_JSON_object_under_JSON_encoding_falls_back_to_the_default_as_istiod_does()
    {
        var yaml = Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogEncoding: JSON
                accessLogFormat: "%START_TIME% %RESPONSE_CODE%"
            """);

        // Accepted (Config asserts the translation succeeds); the proxy then prints the default JSON format.
        Assert.Null(AccessLogTemplate.Parse(Config(yaml).Mesh.Telemetry.AccessLogFormat, AccessLogEncoding.Json, out _));
    }

    [Fact]
    public void Sampling_above_100_percent_is_refused_naming_the_field()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultConfig:
                  tracing:
                    sampling: 150
            """));

        Assert.Contains(errors, e => e.Field == "data.mesh.defaultConfig.tracing.sampling");
    }
}
