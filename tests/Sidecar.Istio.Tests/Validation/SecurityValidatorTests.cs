using Sidecar.Istio.Resources.Security;
using static Sidecar.Istio.Tests.Validation.ValidationFixture;

namespace Sidecar.Istio.Tests.Validation;

public sealed class SecurityValidatorTests
{
    [Fact]
    public void Peer_authentication_is_parsed_and_kept()
    {
        var parsed = Sidecar.Istio.Parsing.IstioYamlParser.Parse("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: reviews}
            spec:
              selector: {matchLabels: {app: reviews}}
              mtls: {mode: STRICT}
              portLevelMtls:
                9080: {mode: PERMISSIVE}
            """);
        var spec = Assert.IsType<PeerAuthenticationSpec>(Assert.Single(parsed.Resources).Spec);
        Assert.Equal("STRICT", spec.MtlsMode);
        Assert.Equal("PERMISSIVE", spec.PortLevelMtls![9080]);
    }

    [Fact]
    public void Port_level_mtls_needs_a_selector() =>
        SingleError("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default}
            spec:
              mtls: {mode: STRICT}
              portLevelMtls:
                9080: {mode: DISABLE}
            """, "spec.portLevelMtls", "mesh/namespace peer authentication cannot have port level mTLS");

    [Fact]
    public void Authorization_policies_are_checked()
    {
        var result = Validate("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ratings}
            spec:
              selector: {matchLabels: {app: ratings}}
              action: DENY
              rules:
              - from:
                - source: {}
                to:
                - operation: {ports: ["99999"]}
                when:
                - key: source.ip
                  values: ["not-an-ip"]
            """);
        Assert.Equal(
            ["spec.rules[0].from[0].source", "spec.rules[0].to[0].operation.ports", "spec.rules[0].when[0].values"],
            result.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Port_zero_is_a_valid_port_as_Istios_ValidatePorts_reads_it() =>
        Assert.True(Validate("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ratings}
            spec:
              rules:
              - to: [{operation: {ports: ["0", "9080"]}}]
                when: [{key: destination.port, values: ["0"]}]
            """).IsValid);

    [Fact]
    public void A_CUSTOM_policy_needs_rules_as_Istio_requires() =>
        SingleError("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: ext}
            spec:
              action: CUSTOM
              provider: {name: ext-authz}
            """, "spec.rules", "CUSTOM action without `rules` is meaningless");

    [Fact]
    public void An_unknown_condition_key_is_reported_at_the_key() =>
        SingleError("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: when}
            spec:
              rules: [{when: [{key: request.color, notValues: [red]}]}]
            """, "spec.rules[0].when[0].key", "unknown attribute: request.color");

    [Theory]
    [InlineData("/files/{**}/x/{*}", "{**} is not the last operator")]
    [InlineData("/api/{*}/*", "outside the {*} and {**} operators")]
    [InlineData("/api/{id}/{*}", "outside the {*} and {**} operators")]
    public void Path_templates_follow_Istios_rules(string path, string message) =>
        SingleError($$$"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: templates}
            spec:
              rules: [{to: [{operation: {paths: ["{{{path}}}"]}}]}]
            """, "spec.rules[0].to[0].operation.paths", message);
}
