using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Security;

public sealed class AuthorizationPolicyTranslatorTests
{
    [Fact]
    public void Policies_in_scope_are_the_root_namespace_the_workload_namespace_and_matching_selectors()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: mesh-deny, namespace: istio-system}
            spec:
              action: DENY
              rules: [{from: [{source: {namespaces: [untrusted]}}]}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: productpage, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              rules:
              - from:
                - source: {principals: [cluster.local/ns/default/sa/sleep], serviceAccounts: [] }
                to:
                - operation: {methods: [GET], paths: [/api/*], ports: ["9080"]}
                when:
                - key: request.headers[x-token]
                  values: [secret]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: reviews-only, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              rules: [{}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: elsewhere, namespace: other}
            spec:
              rules: [{}]
            """));

        Assert.Equal(["default/productpage", "istio-system/mesh-deny"], config.AuthorizationPolicies.Select(p => p.Name));
        var deny = config.AuthorizationPolicies[1];
        Assert.Equal(AuthorizationAction.Deny, deny.Action);
        Assert.Equal(new AttributeMatchConfig("source.namespace", ["untrusted"], []), deny.Rules[0].From[0].Matches[0]);

        var rule = config.AuthorizationPolicies[0].Rules[0];
        Assert.Equal(new AttributeMatchConfig("source.principal", ["cluster.local/ns/default/sa/sleep"], []), Assert.Single(rule.From[0].Matches));
        Assert.Equal(["destination.port", "request.method", "request.path"], rule.To[0].Matches.Select(m => m.Attribute));
        Assert.Equal(new AttributeMatchConfig("request.headers[x-token]", ["secret"], []), Assert.Single(rule.When));
    }

    [Fact]
    public void Principals_follow_the_trust_domain_and_its_aliases_as_istiods_trust_domain_bundle_expands_them()
    {
        // Istio's trust domain migration: with trustDomain new-td and alias old-td, a policy written for either (or
        // for cluster.local, the local trust domain's stand-in) matches both; other principals are kept as written.
        var config = Config(Bookinfo.All(Bookinfo.Services, MeshConfigMap("{trustDomain: new-td, trustDomainAliases: [old-td]}"), """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: migrate, namespace: default}
            spec:
              rules:
              - from:
                - source:
                    principals: [old-td/ns/foo/sa/sleep, cluster.local/ns/foo/sa/curl, "*/ns/foo/sa/any", other-td/ns/x/sa/y]
                    notPrincipals: [new-td/ns/foo/sa/blocked]
                when:
                - key: source.principal
                  values: [old-td/ns/bar/sa/client]
            """));

        var rule = Assert.Single(config.AuthorizationPolicies).Rules[0];
        var principals = Assert.Single(rule.From[0].Matches);
        Assert.Equal(
            ["new-td/ns/foo/sa/sleep", "old-td/ns/foo/sa/sleep", "new-td/ns/foo/sa/curl", "old-td/ns/foo/sa/curl", "*/ns/foo/sa/any", "other-td/ns/x/sa/y"],
            principals.Values);
        Assert.Equal(["new-td/ns/foo/sa/blocked", "old-td/ns/foo/sa/blocked"], principals.NotValues);
        Assert.Equal(["new-td/ns/bar/sa/client", "old-td/ns/bar/sa/client"], Assert.Single(rule.When).Values);

        // Inbound mTLS accepts peers of either trust domain; outbound, a service's identities are expected in both
        // (istiod's ExpandWithTrustDomains).
        var tls = config.Listener(ListenerNames.VirtualInbound).FilterChains[1].Tls!;
        Assert.Equal(["spiffe://new-td/", "spiffe://old-td/"], tls.PeerSanPrefixes);
        var reviews = config.Clusters.Single(c => c.Name == "outbound|9080||reviews.default.svc.cluster.local").AutoMtlsSettings!;
        Assert.Contains("spiffe://new-td/ns/default/sa/bookinfo-reviews", reviews.SubjectAltNames);
        Assert.Contains("spiffe://old-td/ns/default/sa/bookinfo-reviews", reviews.SubjectAltNames);
    }

    [Fact]
    public void A_root_namespace_policy_with_a_selector_applies_to_matching_workloads_in_every_namespace()
    {
        // AuthorizationPolicy reference: "If the policy is in the root namespace, the selector applies to workloads
        // in all namespaces." The same lookup selects RequestAuthentications.
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-productpage-admin, namespace: istio-system}
            spec:
              selector: {matchLabels: {app: productpage}}
              action: DENY
              rules: [{to: [{operation: {paths: [/admin/*]}}]}]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-reviews-admin, namespace: istio-system}
            spec:
              selector: {matchLabels: {app: reviews}}
              action: DENY
              rules: [{to: [{operation: {paths: [/admin/*]}}]}]
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: productpage-jwt, namespace: istio-system}
            spec:
              selector: {matchLabels: {app: productpage}}
              jwtRules: [{issuer: issuer.example, jwks: '{"keys": []}'}]
            """));

        Assert.Equal(["istio-system/deny-productpage-admin"], config.AuthorizationPolicies.Select(p => p.Name));
        Assert.Equal(["issuer.example"], config.JwtRules.Select(r => r.Issuer));
    }

    [Fact]
    public void Service_accounts_become_principals_in_the_trust_domain()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: sa, namespace: default}
            spec:
              rules: [{from: [{source: {serviceAccounts: [default/sleep]}}]}]
            """));
        Assert.Equal(["cluster.local/ns/default/sa/sleep"], Assert.Single(config.AuthorizationPolicies).Rules[0].From[0].Matches[0].Values);
    }

    [Fact]
    public void Trust_domains_become_a_match_on_the_peer_identitys_trust_domain()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: td, namespace: default}
            spec:
              rules: [{from: [{source: {trustDomains: [cluster.local], notTrustDomains: ["legacy.*"]}}]}]
            """));
        Assert.Equal(new AttributeMatchConfig("source.trustDomain", ["cluster.local"], ["legacy.*"]), Assert.Single(Assert.Single(config.AuthorizationPolicies).Rules[0].From[0].Matches));
    }

    [Fact]
    public void A_dry_run_policy_is_not_enforced()
    {
        // istio.io/dry-run: Envoy evaluates the policy as shadow rules and never enforces it.
        var result = Translate(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: deny-all-trial
              namespace: default
              annotations: {"istio.io/dry-run": "true"}
            spec:
              action: DENY
              rules: [{}]
            """));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Config!.AuthorizationPolicies);
        Assert.Contains(result.Warnings, w => w.Contains("istio.io/dry-run", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("DENY", "maybe", "invalid value maybe for annotation istio.io/dry-run")]
    [InlineData("CUSTOM", "true", "only supports action ALLOW/DENY")]
    public void The_dry_run_annotation_is_a_boolean_on_ALLOW_and_DENY_policies(string action, string value, string message)
    {
        var provider = action == "CUSTOM" ? "provider: {name: authz}" : "";
        var error = Assert.Single(Errors(Bookinfo.All(Bookinfo.Services, $$"""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: trial
              namespace: default
              annotations: {"istio.io/dry-run": "{{value}}"}
            spec:
              action: {{action}}
              {{provider}}
              rules: [{}]
            """)), e => e.Message.Contains("dry-run", StringComparison.Ordinal));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
