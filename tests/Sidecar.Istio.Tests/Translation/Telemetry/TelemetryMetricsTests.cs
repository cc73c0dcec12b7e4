using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Telemetry;

/// <summary>
/// The Telemetry API's <c>metrics</c> (istio/api telemetry/v1 MetricsOverrides): overrides for the Prometheus
/// provider collected mesh level first and workload level last, Istio's own checks on <c>tagOverrides</c>.
/// </summary>
public sealed class TelemetryMetricsTests
{
    [Fact]
    public void Overrides_from_the_mesh_namespace_and_workload_levels_are_kept_in_that_order()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              metrics:
              - providers: [{name: prometheus}]
                overrides:
                - match: {metric: ALL_METRICS, mode: CLIENT_AND_SERVER}
                  tagOverrides:
                    request_host: {value: request.host}
                    destination_canonical_revision: {operation: REMOVE}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: productpage, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              metrics:
              - overrides:
                - match: {metric: REQUEST_SIZE, mode: CLIENT}
                  disabled: true
            ---
            apiVersion: telemetry.istio.io/v1alpha1
            kind: Telemetry
            metadata: {name: namespace, namespace: default}
            spec:
              metrics:
              - overrides:
                - match: {metric: REQUEST_COUNT}
                  tagOverrides:
                    request_host: {operation: REMOVE}
            """)).Mesh.Telemetry;

        Assert.Equal(
            [
                new MetricOverrideConfig(IstioMetric.AllMetrics, WorkloadMode.ClientAndServer, null,
                    [new TagOverrideConfig("request_host", false, "request.host"), new TagOverrideConfig("destination_canonical_revision", true, null)]),
                new MetricOverrideConfig(IstioMetric.RequestCount, WorkloadMode.ClientAndServer, null, [new TagOverrideConfig("request_host", true, null)]),
                new MetricOverrideConfig(IstioMetric.RequestSize, WorkloadMode.Client, true, []),
            ],
            telemetry.MetricOverrides);
    }

    [Fact]
    public void Overrides_for_a_provider_that_is_not_Prometheus_are_warned_about_and_not_applied()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: cloud, namespace: default}
            spec:
              metrics:
              - providers: [{name: stackdriver}]
                overrides: [{disabled: true}]
            """));

        Assert.True(result.IsValid);
        Assert.Empty(result.Config!.Mesh.Telemetry.MetricOverrides);
        Assert.Contains(result.Warnings, w => w.Contains("Telemetry default/cloud", StringComparison.Ordinal) && w.Contains("stackdriver", StringComparison.Ordinal));
    }

    [Fact]
    public void A_named_prometheus_extension_provider_and_the_default_providers_select_the_prometheus_metrics()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: prom
                  prometheus: {}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: named, namespace: default}
            spec:
              metrics:
              - providers: [{name: prom}]
                overrides: [{match: {metric: TCP_SENT_BYTES, mode: SERVER}, disabled: true}]
              - overrides: [{match: {metric: RESPONSE_SIZE}, disabled: false}]
            """)).Mesh.Telemetry;

        Assert.Equal(
            [
                new MetricOverrideConfig(IstioMetric.TcpSentBytes, WorkloadMode.Server, true, []),
                new MetricOverrideConfig(IstioMetric.ResponseSize, WorkloadMode.ClientAndServer, false, []),
            ],
            telemetry.MetricOverrides);
    }

    [Fact]
    public void An_upsert_without_a_value_a_remove_with_one_and_an_unknown_metric_are_refused_with_the_field_named()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: wrong, namespace: default}
            spec:
              metrics:
              - overrides:
                - tagOverrides:
                    request_host: {operation: UPSERT}
                    response_code: {operation: REMOVE, value: "'x'"}
            """));
        var decodeErrors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: wrong, namespace: default}
            spec:
              metrics:
              - overrides:
                - match: {metric: REQUEST_COUNT}
                - match: {metric: REQUESTS_TOTAL}
            """));

        Assert.Contains(errors, e => e.Field == "spec.metrics[0].overrides[0].tagOverrides.request_host.value" && e.Message.Contains("UPSERT", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "spec.metrics[0].overrides[0].tagOverrides.response_code.value" && e.Message.Contains("REMOVE", StringComparison.Ordinal));
        Assert.Contains(decodeErrors, e => e.Field == "spec.metrics[0].overrides[1].match.metric" && e.Message.Contains("REQUESTS_TOTAL", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tag_expression_outside_the_evaluated_attributes_and_a_custom_metric_are_warned_about()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: custom, namespace: default}
            spec:
              metrics:
              - overrides:
                - tagOverrides:
                    request_operation: {value: istio_requestOperation}
                - match: {customMetric: my_metric}
                  disabled: true
            """));

        Assert.True(result.IsValid);
        Assert.Contains(result.Warnings, w => w.Contains("tagOverrides.request_operation.value", StringComparison.Ordinal) && w.Contains("unknown", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("match.customMetric", StringComparison.Ordinal));
        // The custom-metric entry is dropped; the tag still applies (reading "unknown", as Envoy reports a failed expression).
        Assert.Equal([new MetricOverrideConfig(IstioMetric.AllMetrics, WorkloadMode.ClientAndServer, null, [new TagOverrideConfig("request_operation", false, "istio_requestOperation")])],
            result.Config!.Mesh.Telemetry.MetricOverrides);
    }
}
