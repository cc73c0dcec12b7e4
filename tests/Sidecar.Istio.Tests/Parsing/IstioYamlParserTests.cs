using Sidecar.Istio.Parsing;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Tests.Parsing;

public sealed class IstioYamlParserTests
{
    [Fact]
    public void Reads_several_documents_and_skips_empty_ones()
    {
        var result = IstioYamlParser.Parse("""
            # bookinfo rules
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews, subset: v1}
            ---
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata: {name: reviews, namespace: prod}
            spec:
              host: reviews
            """, "rules.yaml");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(["VirtualService default/reviews", "DestinationRule prod/reviews"], result.Resources.Select(r => r.Id));
        Assert.Equal(new SourceLocation("rules.yaml", 3), result.Resources[0].Source);
        Assert.Equal(new SourceLocation("rules.yaml", 13), result.Resources[1].Source);
        var vs = Assert.IsType<VirtualServiceSpec>(result.Resources[0].Spec);
        Assert.Equal("v1", vs.Http[0].Route[0].Destination!.Subset);
    }

    [Fact]
    public void Skips_kinds_the_sidecar_does_not_use_with_file_and_kind()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: reviews}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: reviews-v1}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: bookinfo-gateway}
            """, "bookinfo.yaml");

        Assert.True(result.IsValid);
        Assert.Empty(result.Resources);
        Assert.Equal(["ServiceAccount reviews", "Deployment reviews-v1", "Gateway bookinfo-gateway"], result.Skipped.Select(s => $"{s.Kind} {s.Name}"));
        Assert.All(result.Skipped, s => Assert.Equal("bookinfo.yaml", s.File));
    }

    [Fact]
    public void Refuses_unknown_fields_naming_the_field_path()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - route:
                - destination: {host: reviews}
                  wieght: 50
            """, "reviews.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("reviews.yaml", error.File);
        Assert.Equal("VirtualService default/reviews", error.Resource);
        Assert.Equal("spec.http[0].route[0].wieght", error.Field);
        Assert.StartsWith("unknown field \"wieght\"", error.Message);
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void Refuses_wrong_types_with_the_field_path()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: reviews
              http:
              - timeout: soon
                route:
                - destination: {host: reviews}
                  weight: fifty
            """, "reviews.yaml");

        Assert.Equal(["spec.hosts", "spec.http[0].route[0].weight", "spec.http[0].timeout"], result.Errors.Select(e => e.Field).Order());
        Assert.Contains(result.Errors, e => e.Message.Contains("expected an integer, got 'fifty'", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Message.Contains("invalid duration 'soon'", StringComparison.Ordinal));
    }

    [Fact]
    public void Resolves_merge_keys_and_yaml_1_1_booleans_as_kubectl_reads_them()
    {
        // sigs.k8s.io/yaml (go-yaml): `<<: *anchor` merges a mapping, and plain yes/no/on/off are booleans.
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: &pool
                  tcp: {maxConnections: 100}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  connectionPool:
                    <<: *pool
                    http: {http1MaxPendingRequests: 10}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - match: [{uri: {prefix: /Api}, ignoreUriCase: yes}]
                route: [{destination: {host: reviews}}]
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var dr = Assert.IsType<DestinationRuleSpec>(result.Resources[0].Spec);
        var pool = dr.Subsets[0].TrafficPolicy!.ConnectionPool!;
        Assert.Equal(100, pool.Tcp!.MaxConnections);
        Assert.Equal(10, pool.Http!.Http1MaxPendingRequests);
        var vs = Assert.IsType<VirtualServiceSpec>(result.Resources[1].Spec);
        Assert.True(vs.Http[0].Match[0].IgnoreUriCase);
    }

    [Fact]
    public void Reads_durations_in_Go_form()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp: {connectTimeout: 0.5s}
                  http: {idleTimeout: 1h30m}
                outlierDetection:
                  interval: 100ms
                  baseEjectionTime: 3m
            """);

        var dr = Assert.IsType<DestinationRuleSpec>(Assert.Single(result.Resources).Spec);
        Assert.Equal(TimeSpan.FromMilliseconds(500), dr.TrafficPolicy!.ConnectionPool!.Tcp!.ConnectTimeout!.Value.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(90), dr.TrafficPolicy.ConnectionPool.Http!.IdleTimeout!.Value.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMilliseconds(100), dr.TrafficPolicy.OutlierDetection!.Interval!.Value.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMinutes(3), dr.TrafficPolicy.OutlierDetection.BaseEjectionTime!.Value.ToTimeSpan());
    }

    [Fact]
    public void Refuses_an_unserved_api_version_and_a_missing_name()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v2
            kind: VirtualService
            metadata: {name: reviews}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {namespace: default}
            spec: {hosts: [reviews]}
            ---
            kind: VirtualService
            """, "x.yaml");

        Assert.Equal(3, result.Errors.Count);
        Assert.Equal("apiVersion", result.Errors[0].Field);
        Assert.Contains("not served at apiVersion networking.istio.io/v2", result.Errors[0].Message);
        Assert.Equal("metadata.name", result.Errors[1].Field);
        Assert.Contains("needs apiVersion and kind", result.Errors[2].Message);
    }

    [Fact]
    public void Reports_yaml_syntax_errors_with_the_line()
    {
        var result = IstioYamlParser.Parse("apiVersion: v1\nkind: [unclosed\n", "broken.yaml");
        var error = Assert.Single(result.Errors);
        Assert.Equal("broken.yaml", error.File);
        Assert.Contains("invalid YAML", error.Message);
        Assert.Contains("(line ", error.Message);
    }

    [Fact]
    public void An_unclosed_flow_sequence_in_a_nested_mapping_is_a_syntax_error_of_its_file()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: echo}
            spec:
              hosts: [echo.default.svc.cluster.local
              http:
              - route: [{destination: {host: echo}}]

            """, "echo.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("echo.yaml", error.File);
        Assert.Contains("invalid YAML", error.Message);
        Assert.Contains("(line ", error.Message);
    }

    [Fact]
    public void A_syntax_error_in_a_later_document_names_its_line_and_refuses_the_file()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec: {host: reviews}
            ---
            apiVersion: networking.istio.io/v1
            kind: [unclosed
            """, "rules.yaml");

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Contains("invalid YAML", error.Message);
        // In the second document: YamlDotNet reports the unclosed sequence where it gave up, on line 7 or at the end.
        Assert.Matches(@"\(line [78]\)", error.Message);
    }

    [Fact]
    public void Refuses_the_same_resource_defined_twice()
    {
        const string vs = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}
            """;
        var result = IstioYamlParser.Parse(vs + "\n---\n" + vs, "dup.yaml");
        var error = Assert.Single(result.Errors);
        Assert.Equal("VirtualService default/reviews", error.Resource);
        Assert.Contains("duplicate resource", error.Message);
    }

    [Fact]
    public void Reads_the_mesh_config_from_the_istio_config_map_only()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |-
                outboundTrafficPolicy:
                  mode: REGISTRY_ONLY
                trustDomain: example.org
                defaultHttpRetryPolicy:
                  attempts: 5
                  retryOn: 5xx
                accessLogFile: /dev/stdout
                enablePrometheusMerge: true
                defaultConfig:
                  tracing: {sampling: 10}
                  concurrency: 4
                  proxyHeaders:
                    server: {disabled: true}
                    requestId: {disabled: true}
                    envoyDebugHeaders: {disabled: true}
                    forwardedClientCert: SANITIZE
              meshNetworks: 'networks: {}'
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: other}
            data: {x: y}
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var resource = Assert.Single(result.Resources);
        Assert.Equal(ResourceKind.MeshConfig, resource.Kind);
        var mesh = Assert.IsType<MeshConfigSpec>(resource.Spec);
        Assert.Equal("REGISTRY_ONLY", mesh.OutboundTrafficPolicyMode);
        Assert.Equal("example.org", mesh.TrustDomain);
        Assert.Equal(5, mesh.DefaultHttpRetryPolicy!.Attempts);
        Assert.Equal("/dev/stdout", mesh.AccessLogFile);
        // Settings this sidecar does not apply are listed for a warning, defaultConfig's included.
        Assert.Equal(["enablePrometheusMerge", "defaultConfig.concurrency", "defaultConfig.proxyHeaders.forwardedClientCert"], mesh.UntypedFields);
        Assert.Equal(new Sidecar.Model.ProxyHeadersConfig { ServerDisabled = true, RequestIdDisabled = true, EnvoyDebugHeadersDisabled = true }, mesh.ProxyHeaders);
        Assert.Equal(10, mesh.TracingSampling);
        Assert.Equal("ConfigMap", Assert.Single(result.Skipped).Kind);
    }

    [Fact]
    public void Expands_kubectl_lists()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: networking.istio.io/v1
              kind: DestinationRule
              metadata: {name: a}
              spec: {host: a}
            - apiVersion: networking.istio.io/v1
              kind: DestinationRule
              metadata: {name: b}
              spec: {host: b}
            """);
        Assert.Equal(["DestinationRule default/a", "DestinationRule default/b"], result.Resources.Select(r => r.Id));
    }

    [Fact]
    public void Refuses_unknown_top_level_and_metadata_fields()
    {
        var result = IstioYamlParser.Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: a, label: x}
            spec: {host: a}
            extra: 1
            """);
        Assert.Equal(["extra", "metadata.label"], result.Errors.Select(e => e.Field).Order());
    }

    [Fact]
    public void Reads_a_directory_recursively_skipping_hidden_entries()
    {
        var directory = Directory.CreateTempSubdirectory("istio-parse-");
        try
        {
            Directory.CreateDirectory(Path.Combine(directory.FullName, "rules"));
            Directory.CreateDirectory(Path.Combine(directory.FullName, "..data"));
            File.WriteAllText(Path.Combine(directory.FullName, "services.yaml"), Bookinfo.Services);
            File.WriteAllText(Path.Combine(directory.FullName, "rules", "reviews.yml"), Bookinfo.ReviewsJason);
            File.WriteAllText(Path.Combine(directory.FullName, "rules", ".reviews.yaml.swp"), "not: yaml: at: all: [");
            File.WriteAllText(Path.Combine(directory.FullName, "..data", "copy.yaml"), Bookinfo.ReviewsJason);
            File.WriteAllText(Path.Combine(directory.FullName, "README.md"), "# not yaml");

            var result = IstioYamlParser.ParseDirectory(directory.FullName);

            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            Assert.Equal(5, result.Resources.Count);
            Assert.Equal("rules/reviews.yml", result.Resources.Single(r => r.Kind == ResourceKind.VirtualService).Source.File);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_directory_is_an_error()
    {
        var result = IstioYamlParser.ParseDirectory(Path.Combine(Path.GetTempPath(), "no-such-istio-dir-" + Guid.NewGuid()));
        Assert.Contains("does not exist", Assert.Single(result.Errors).Message);
    }
}
