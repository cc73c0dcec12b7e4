using static Sidecar.Istio.Tests.Validation.ValidationFixture;

namespace Sidecar.Istio.Tests.Validation;

public sealed class DestinationRuleValidatorTests
{
    private static string Rule(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{name: reviews}"}
        spec:
          host: reviews
        {Indent(spec, 2)}
        """;

    [Fact]
    public void Subset_names_must_be_dns_labels_and_unique()
    {
        var result = Validate(Rule("""
            subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v1, labels: {version: v2}}
            - {name: V_3, labels: {version: v3}}
            """));
        Assert.Equal(["duplicate subset names: v1", "subset name is invalid: V_3"], result.Errors.Select(e => e.Message));
        Assert.Equal(["spec.subsets[1].name", "spec.subsets[2].name"], result.Errors.Select(e => e.Field));
    }

    [Fact]
    public void An_empty_traffic_policy_is_refused() =>
        SingleError(Rule("trafficPolicy: {}"), "spec.trafficPolicy", "traffic policy must have at least one field");

    [Fact]
    public void ProxyProtocol_alone_is_a_traffic_policy_and_its_version_is_V1_or_V2()
    {
        var result = Validate(Rule("trafficPolicy: {proxyProtocol: {version: V2}}"));
        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        var parsed = Sidecar.Istio.Parsing.IstioYamlParser.Parse(Rule("trafficPolicy: {proxyProtocol: {version: V3}}"), "rules.yaml");
        var error = Assert.Single(parsed.Errors);
        Assert.Equal("spec.trafficPolicy.proxyProtocol.version", error.Field);
        Assert.StartsWith("unknown value \"V3\" (expected one of V1, V2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_budgets_percent_is_a_percentage()
    {
        Assert.Empty(Validate(Rule("trafficPolicy: {retryBudget: {percent: 100}}")).Errors);
        SingleError(Rule("trafficPolicy: {retryBudget: {percent: 120, minRetryConcurrency: 2}}"), "spec.trafficPolicy.retryBudget.percent", "percent must be in range [0.0, 100.0]");
    }

    [Fact]
    public void A_tunnel_names_its_protocol_target_host_and_port_as_istio_checks_them()
    {
        Assert.Empty(Validate(Rule("trafficPolicy: {tunnel: {targetHost: 10.0.0.1, targetPort: 443}}")).Errors);
        var result = Validate(Rule("trafficPolicy: {tunnel: {protocol: GET, targetHost: 'bad host', targetPort: 0}}"));
        Assert.Equal(["spec.trafficPolicy.tunnel.protocol", "spec.trafficPolicy.tunnel.targetHost", "spec.trafficPolicy.tunnel.targetPort"], result.Errors.Select(e => e.Field));
        Assert.Equal("tunnel protocol must be \"CONNECT\" or \"POST\"", result.Errors[0].Message);
    }

    [Fact]
    public void Tunnel_and_proxyProtocol_are_refused_together() =>
        SingleError(Rule("""
            trafficPolicy:
              proxyProtocol: {version: V1}
              tunnel: {protocol: CONNECT, targetHost: example.com, targetPort: 443}
            """), "spec.trafficPolicy", "tunnel and proxyProtocol must not be set together");

    [Fact]
    public void Maglev_tables_must_be_prime() =>
        SingleError(Rule("""
            trafficPolicy:
              loadBalancer:
                consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 1000}}
            """), "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "must be a prime number");

    [Fact]
    public void Cookies_need_a_name() =>
        SingleError(Rule("""
            trafficPolicy:
              loadBalancer:
                consistentHash: {httpCookie: {ttl: 0s}}
            """), "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", "name required for HttpCookie");

    [Fact]
    public void Outlier_percentages_are_bounded() =>
        SingleError(Rule("""
            trafficPolicy:
              outlierDetection: {consecutive5xxErrors: 5, maxEjectionPercent: 120}
            """), "spec.trafficPolicy.outlierDetection.maxEjectionPercent", "percentage 120 is not in range 0..100");

    [Fact]
    public void Mutual_tls_needs_a_client_certificate_and_key()
    {
        var result = Validate(Rule("""
            trafficPolicy:
              tls: {mode: MUTUAL, caCertificates: /etc/certs/ca.pem}
            """));
        Assert.Equal(["client certificate required for mutual tls", "private key required for mutual tls"], result.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Port_level_settings_need_a_port() =>
        SingleError(Rule("""
            trafficPolicy:
              portLevelSettings:
              - loadBalancer: {simple: RANDOM}
            """), "spec.trafficPolicy.portLevelSettings[0].port", "portTrafficPolicy must have valid port");

    [Fact]
    public void Connection_pool_limits_must_not_be_negative() =>
        SingleError(Rule("""
            trafficPolicy:
              connectionPool:
                http: {http1MaxPendingRequests: -1}
            """), "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests", "must be non-negative");

    [Fact]
    public void A_rule_with_a_workload_selector_is_exported_to_its_namespace_only() =>
        SingleError(Rule("""
            workloadSelector: {matchLabels: {app: productpage}}
            exportTo: ["*"]
            """), "spec.exportTo", "cannot have exportTo beyond current namespace");
}
