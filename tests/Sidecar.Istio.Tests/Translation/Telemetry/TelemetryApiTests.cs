using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Telemetry;

/// <summary>
/// The Telemetry API (istio/api telemetry/v1/telemetry.proto): accessLogging and tracing at mesh (root namespace),
/// namespace and workload-selector level, the more specific overriding what it sets.
/// </summary>
public sealed class TelemetryApiTests
{
    private const string Providers = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            extensionProviders:
            - name: otel
              opentelemetry: {service: otel-collector.observability.svc.cluster.local, port: 4317}
            - name: zipkin
              zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
        """;

    [Fact]
    public void A_mesh_wide_Telemetry_with_the_envoy_provider_turns_access_logs_on_and_sets_tracing()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, Providers, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging:
              - providers: [{name: envoy}]
              tracing:
              - providers: [{name: otel}]
                randomSamplingPercentage: 10
            """)).Mesh.Telemetry;

        Assert.Equal("/dev/stdout", telemetry.AccessLogFile);
        Assert.Equal(10, telemetry.ClientTracing.SamplingPercent);
        Assert.Equal(new TracingProviderConfig("otel", TracingProtocol.OtlpGrpc, new Uri("http://otel-collector.observability.svc.cluster.local:4317"), "outbound|4317||otel-collector.observability.svc.cluster.local"), telemetry.ClientTracing.Provider);
    }

    [Fact]
    public void A_workload_Telemetry_overrides_the_namespace_and_mesh_levels_only_where_it_sets_a_value()
    {
        var yaml = Bookinfo.All(Providers, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging: [{providers: [{name: envoy}]}]
              tracing: [{providers: [{name: otel}], randomSamplingPercentage: 1}]
            ---
            apiVersion: telemetry.istio.io/v1alpha1
            kind: Telemetry
            metadata: {name: namespace-tracing, namespace: default}
            spec:
              tracing: [{providers: [{name: zipkin}], randomSamplingPercentage: 50}]
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: productpage-quiet, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              accessLogging: [{disabled: true}]
              tracing: [{randomSamplingPercentage: 100}]
            """);

        var productpage = Config(Bookinfo.All(Bookinfo.Services, yaml)).Mesh.Telemetry;
        Assert.Equal("", productpage.AccessLogFile);
        Assert.Equal(100, productpage.ClientTracing.SamplingPercent);
        Assert.Equal("zipkin", productpage.ClientTracing.Provider?.Name);

        var reviews = Config(Bookinfo.All(Bookinfo.Services, yaml), Productpage with { WorkloadName = "reviews-v1", Labels = Labels.From(("app", "reviews"), ("version", "v1")) }).Mesh.Telemetry;
        Assert.Equal("/dev/stdout", reviews.AccessLogFile);
        Assert.Equal(50, reviews.ClientTracing.SamplingPercent);
        Assert.Equal("zipkin", reviews.ClientTracing.Provider?.Name);

        var elsewhere = Config(Bookinfo.All(Bookinfo.Services, yaml), Productpage with { Namespace = "shop" }).Mesh.Telemetry;
        Assert.Equal("/dev/stdout", elsewhere.AccessLogFile);
        Assert.Equal(1, elsewhere.ClientTracing.SamplingPercent);
        Assert.Equal("otel", elsewhere.ClientTracing.Provider?.Name);
    }

    [Fact]
    public void EnableIstioTags_and_disableContextPropagation_reach_the_tracing_settings()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, Providers, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: tracing, namespace: default}
            spec:
              tracing: [{enableIstioTags: false, disableContextPropagation: true}]
            """));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.False(result.Config!.Mesh.Telemetry.ClientTracing.IstioTags);
        Assert.False(result.Config.Mesh.Telemetry.ClientTracing.ContextPropagation);
    }

    [Fact]
    public void CustomTags_of_the_most_specific_Telemetry_replace_the_parents_whole_and_the_mesh_configs()
    {
        // Istio's Tracing(): a child's customTags map replaces the parent's (a shallow merge); the mesh config's
        // defaultConfig.tracing.customTags apply only where no Telemetry sets its own (configureCustomTags).
        var yaml = Bookinfo.All("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultConfig:
                  tracing:
                    customTags:
                      legacy: {literal: {value: from-mesh-config}}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: namespace-tags, namespace: default}
            spec:
              tracing:
              - customTags:
                  team: {literal: {value: bookinfo}}
                  pod: {environment: {name: POD_NAME, defaultValue: unknown-pod}}
                  user: {header: {name: end-user, defaultValue: anonymous}}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: productpage-tags, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              tracing:
              - customTags:
                  tier: {literal: {value: frontend}}
            """);

        var productpage = Config(Bookinfo.All(Bookinfo.Services, yaml)).Mesh.Telemetry;
        Assert.Equal([new TracingCustomTag("tier", TracingCustomTagKind.Literal, "frontend")], productpage.ClientTracing.CustomTags.ToArray());

        var reviews = Config(Bookinfo.All(Bookinfo.Services, yaml), Productpage with { WorkloadName = "reviews-v1", Labels = Labels.From(("app", "reviews"), ("version", "v1")) }).Mesh.Telemetry;
        Assert.Equal(
            [
                new TracingCustomTag("pod", TracingCustomTagKind.Environment, "POD_NAME", "unknown-pod"),
                new TracingCustomTag("team", TracingCustomTagKind.Literal, "bookinfo"),
                new TracingCustomTag("user", TracingCustomTagKind.RequestHeader, "end-user", "anonymous"),
            ],
            reviews.ClientTracing.CustomTags.ToArray());

        var elsewhere = Config(Bookinfo.All(Bookinfo.Services, yaml), Productpage with { Namespace = "shop" }).Mesh.Telemetry;
        Assert.Equal([new TracingCustomTag("legacy", TracingCustomTagKind.Literal, "from-mesh-config")], elsewhere.ClientTracing.CustomTags.ToArray());
    }

    [Theory]
    [InlineData("{}", "spec.tracing[0].customTags.bad", "exactly one of literal, environment or header must be set")]
    [InlineData("{literal: {value: a}, header: {name: b}}", "spec.tracing[0].customTags.bad", "exactly one of literal, environment or header must be set")]
    [InlineData("{literal: {}}", "spec.tracing[0].customTags.bad.literal.value", "is required")]
    [InlineData("{environment: {defaultValue: x}}", "spec.tracing[0].customTags.bad.environment.name", "is required")]
    [InlineData("{header: {name: x-a, default: y}}", "spec.tracing[0].customTags.bad.header.default", "unknown field")]
    public void A_custom_tag_that_is_not_one_literal_environment_or_header_is_refused(string tag, string field, string message)
    {
        var error = Assert.Single(Errors(Bookinfo.All(Bookinfo.Services, $$"""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: tags, namespace: default}
            spec:
              tracing:
              - customTags:
                  bad: {{tag}}
            """)));
        Assert.Equal(field, error.Field);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tracing_entry_with_match_mode_changes_only_its_side()
    {
        // Istio's Tracing(): CLIENT is the outbound listeners' TracingSpec, SERVER the inbound ones'.
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, Providers, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              tracing:
              - providers: [{name: otel}]
                randomSamplingPercentage: 5
              - match: {mode: SERVER}
                randomSamplingPercentage: 100
                customTags: {side: {literal: {value: server}}}
              - match: {mode: CLIENT}
                disableSpanReporting: true
            """)).Mesh.Telemetry;

        Assert.Equal(5, telemetry.ClientTracing.SamplingPercent);
        Assert.True(telemetry.ClientTracing.SpanReportingDisabled);
        Assert.Empty(telemetry.ClientTracing.CustomTags);
        Assert.Equal(100, telemetry.ServerTracing.SamplingPercent);
        Assert.False(telemetry.ServerTracing.SpanReportingDisabled);
        Assert.Equal("server", Assert.Single(telemetry.ServerTracing.CustomTags).Source);
        Assert.Equal("otel", telemetry.ClientTracing.Provider?.Name);
        Assert.Equal("otel", telemetry.ServerTracing.Provider?.Name);
    }

    [Fact]
    public void The_proxy_configs_zipkin_address_traces_a_workload_only_where_no_Telemetry_tracing_applies()
    {
        const string mesh = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultConfig:
                  tracing:
                    sampling: 50
                    zipkin: {address: zipkin.istio-system:9411}
            """;
        var legacy = Config(Bookinfo.All(Bookinfo.Services, mesh)).Mesh.Telemetry;
        Assert.Equal(new TracingProviderConfig("zipkin", TracingProtocol.Zipkin, new Uri("http://zipkin.istio-system:9411/api/v2/spans")), legacy.ClientTracing.Provider);
        Assert.Equal(legacy.ClientTracing.Provider, legacy.ServerTracing.Provider);
        Assert.Equal(50, legacy.ServerTracing.SamplingPercent);

        // A Telemetry tracing entry without providers, and no defaultProviders.tracing: Istio's spec has no provider,
        // so tracing is off for the workload; the legacy tracer is not used.
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, mesh, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: sampling, namespace: default}
            spec:
              tracing: [{randomSamplingPercentage: 10}]
            """)).Mesh.Telemetry;
        Assert.Null(telemetry.ClientTracing.Provider);
        Assert.Null(telemetry.ServerTracing.Provider);
    }

    [Fact]
    public void A_provider_reference_without_a_name_is_refused()
    {
        var error = Assert.Single(Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: unnamed, namespace: default}
            spec:
              accessLogging: [{providers: [{}]}]
            """)));
        Assert.Equal("spec.accessLogging[0].providers[0].name", error.Field);
        Assert.Equal("providers.name may not be empty", error.Message);
    }

    [Fact]
    public void A_Telemetry_bound_by_targetRefs_is_left_to_the_gateway_it_names()
    {
        // istio/api Telemetry.targetRefs: the policy binds to the gateway or waypoint, not to the namespace's sidecars.
        var result = Translate(Bookinfo.All(Bookinfo.Services, Providers, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: gw-only, namespace: default}
            spec:
              targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: my-gateway}]
              tracing: [{randomSamplingPercentage: 100}]
            """));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(TelemetryConfig.Default.ClientTracing.SamplingPercent, result.Config!.Mesh.Telemetry.ClientTracing.SamplingPercent);
        Assert.Contains(result.Warnings, w => w.Contains("Telemetry default/gw-only", StringComparison.Ordinal) && w.Contains("targetRefs", StringComparison.Ordinal));
    }

    [Fact]
    public void DisableSpanReporting_turns_tracing_off_and_unknown_providers_are_warned_about()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, Providers, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: quiet, namespace: default}
            spec:
              accessLogging: [{providers: [{name: stackdriver}]}]
              tracing: [{disableSpanReporting: true}]
            """));

        Assert.True(result.IsValid);
        Assert.True(result.Config!.Mesh.Telemetry.ClientTracing.SpanReportingDisabled);
        Assert.True(result.Config.Mesh.Telemetry.ServerTracing.SpanReportingDisabled);
        Assert.Equal("", result.Config.Mesh.Telemetry.AccessLogFile);
        Assert.Contains(result.Warnings, w => w.Contains("Telemetry default/quiet", StringComparison.Ordinal) && w.Contains("stackdriver", StringComparison.Ordinal));
    }

    [Fact]
    public void An_envoyFileAccessLog_provider_gives_its_path_and_format_and_the_entry_its_mode_and_filter()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: json-log
                  envoyFileAccessLog:
                    path: /var/log/access.json
                    logFormat:
                      labels: {code: "%RESPONSE_CODE%", path: "%REQ(:PATH)%"}
                - name: text-log
                  envoyFileAccessLog:
                    logFormat: {text: "%RESPONSE_CODE% %REQ(:PATH)%\n"}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging:
              - providers: [{name: json-log}, {name: text-log}]
                match: {mode: SERVER}
                filter: {expression: "response.code >= 400"}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: ratings, namespace: default}
            spec:
              selector: {matchLabels: {app: ratings}}
              accessLogging:
              - filter: {expression: "response.duration > duration('1s')"}
            """));

        Assert.True(result.IsValid);
        var telemetry = result.Config!.Mesh.Telemetry;
        Assert.Equal("/var/log/access.json", telemetry.AccessLogFile);
        Assert.Equal(AccessLogEncoding.Json, telemetry.AccessLogEncoding);
        Assert.Equal("""{"code":"%RESPONSE_CODE%","path":"%REQ(:PATH)%"}""", telemetry.AccessLogFormat);
        Assert.Contains(result.Warnings, w => w.Contains("text-log", StringComparison.Ordinal) && w.Contains("one file access log", StringComparison.Ordinal));
        Assert.Equal(WorkloadMode.Server, telemetry.AccessLogMode);
        Assert.Equal(AccessLogFilterExpression.Parse("response.code >= 400"), telemetry.AccessLogFilter);
        // CEL outside the evaluated comparisons is warned about (and would log everything).
        Assert.Contains(result.Warnings, w => w.Contains("spec.accessLogging[0].filter.expression", StringComparison.Ordinal) && w.Contains("duration", StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultProviders_accessLogging_turns_a_text_provider_on_without_a_Telemetry_resource()
    {
        var telemetry = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultProviders: {accessLogging: [text-log]}
                extensionProviders:
                - name: text-log
                  envoyFileAccessLog:
                    path: /dev/stderr
                    logFormat: {text: "%RESPONSE_CODE% %REQ(:PATH)%\n"}
            """)).Mesh.Telemetry;

        Assert.Equal("/dev/stderr", telemetry.AccessLogFile);
        Assert.Equal(AccessLogEncoding.Text, telemetry.AccessLogEncoding);
        Assert.Equal("%RESPONSE_CODE% %REQ(:PATH)%\n", telemetry.AccessLogFormat);
    }

    [Fact]
    public void A_sampling_percentage_out_of_range_is_refused_with_the_field_named()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: wrong, namespace: default}
            spec:
              tracing: [{randomSamplingPercentage: 150}]
            """));

        Assert.Contains(errors, e => e.Field == "spec.tracing[0].randomSamplingPercentage" && e.Resource!.Contains("wrong", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_a_Telemetry_is_refused_as_Istio_decodes_strictly()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: typo, namespace: default}
            spec:
              accesLogging: [{providers: [{name: envoy}]}]
            """));

        Assert.Contains(errors, e => e.Field == "spec.accesLogging");
    }
}
