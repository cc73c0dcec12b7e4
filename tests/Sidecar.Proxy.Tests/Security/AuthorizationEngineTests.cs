using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Security.Authorization;

namespace Sidecar.Proxy.Tests.Security;

public sealed class AuthorizationEngineTests
{
    private const string Client = "spiffe://cluster.local/ns/default/sa/client";
    private const string Intruder = "spiffe://cluster.local/ns/evil/sa/intruder";

    private static AttributeMatchConfig Match(string attribute, string[] values, string[]? notValues = null) =>
        new(attribute, values.ToEquatableArray(), (notValues ?? []).ToEquatableArray());

    private static AuthorizationPolicyConfig Policy(AuthorizationAction action, AttributeMatchConfig[]? from = null, AttributeMatchConfig[]? to = null, AttributeMatchConfig[]? when = null) => new()
    {
        Name = $"default/{action}",
        Action = action,
        Rules =
        [
            new AuthorizationRuleConfig
            {
                From = from is null ? default : [new AttributeClauseConfig(from.ToEquatableArray())],
                To = to is null ? default : [new AttributeClauseConfig(to.ToEquatableArray())],
                When = (when ?? []).ToEquatableArray(),
            },
        ],
    };

    private static AuthorizationRequest Http(string? principal, string method = "GET", string path = "/", string host = "reviews:9080", int port = 9080, string ip = "10.0.0.7", (string, string)? header = null, Sidecar.Proxy.Security.Jwt.JwtIdentity? jwt = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.Host = HostString.FromUriComponent(host);
        if (header is var (name, value))
        {
            context.Request.Headers[name] = value;
        }

        return new AuthorizationRequest(principal, IPAddress.Parse(ip), port, context.Request, jwt);
    }

    private static bool Allowed(AuthorizationEngine engine, in AuthorizationRequest request) => engine.Evaluate(request).Allowed;

    [Fact]
    public void No_policies_allow_everything()
    {
        Assert.True(Allowed(new AuthorizationEngine(default), Http(null)));
    }

    [Fact]
    public void ALLOW_by_principal_and_path_prefix_matches_only_that_caller_and_paths()
    {
        var engine = new AuthorizationEngine([Policy(AuthorizationAction.Allow, [Match("source.principal", ["cluster.local/ns/default/sa/client"])], [Match("request.path", ["/api/*"])])]);
        Assert.True(Allowed(engine, Http(Client, path: "/api/v1")));
        Assert.False(Allowed(engine, Http(Client, path: "/admin")));
        Assert.False(Allowed(engine, Http(Intruder, path: "/api/v1")));
        Assert.False(Allowed(engine, Http(null, path: "/api/v1")));
    }

    [Fact]
    public void Paths_support_exact_prefix_suffix_and_any()
    {
        var engine = new AuthorizationEngine([Policy(AuthorizationAction.Allow, to: [Match("request.path", ["/exact", "/pre*", "*.png"])])]);
        Assert.True(Allowed(engine, Http(null, path: "/exact")));
        Assert.False(Allowed(engine, Http(null, path: "/exact/more")));
        Assert.True(Allowed(engine, Http(null, path: "/prefix/x")));
        Assert.True(Allowed(engine, Http(null, path: "/img/a.png")));
        Assert.False(Allowed(engine, Http(null, path: "/img/a.jpg")));
    }

    [Fact]
    public void trustDomains_match_the_trust_domain_of_the_peer_identity()
    {
        // Istio 1.29's Source.trustDomains / notTrustDomains: the trust domain of the peer certificate's SPIFFE id,
        // with the exact, prefix and suffix patterns of the other source fields; no identity (plaintext) never matches.
        var engine = new AuthorizationEngine([Policy(AuthorizationAction.Allow, [Match(AttributeMatcher.SourceTrustDomainKey, ["cluster.local", "*.corp.example"], ["legacy.corp.example"])])]);
        Assert.True(Allowed(engine, Http(Client)));
        Assert.True(Allowed(engine, Http("spiffe://east.corp.example/ns/default/sa/client")));
        Assert.False(Allowed(engine, Http("spiffe://legacy.corp.example/ns/default/sa/client")));
        Assert.False(Allowed(engine, Http("spiffe://other.local/ns/default/sa/client")));
        Assert.False(Allowed(engine, Http(null)));
    }

    [Fact]
    public void DENY_is_evaluated_before_ALLOW()
    {
        var engine = new AuthorizationEngine(
        [
            Policy(AuthorizationAction.Allow, [Match("source.principal", ["*"])]),
            Policy(AuthorizationAction.Deny, [Match("source.namespace", ["evil"])]),
        ]);
        Assert.True(Allowed(engine, Http(Client)));
        var denied = engine.Evaluate(Http(Intruder));
        Assert.False(denied.Allowed);
        Assert.Equal("default/Deny", denied.PolicyName);
        Assert.False(Allowed(engine, Http(null))); // "*" principal means authenticated
    }


    /// <summary>
    /// Envoy's RBAC filter reports the matched policy in <c>rbac_access_denied_matched_policy[...]</c> under istiod's
    /// id for the rule, <c>ns[NS]-policy[NAME]-rule[N]</c>; a denial because no ALLOW policy matched names none.
    /// </summary>
    [Fact]
    public void A_decision_names_the_matched_rule_as_istiod_names_it_for_Envoys_RBAC_filter()
    {
        var deny = new AuthorizationPolicyConfig
        {
            Name = "foo/deny-method-get",
            Action = AuthorizationAction.Deny,
            Rules =
            [
                new AuthorizationRuleConfig { To = [new AttributeClauseConfig([Match("request.method", ["POST"])])] },
                new AuthorizationRuleConfig { To = [new AttributeClauseConfig([Match("request.method", ["GET"])])] },
            ],
        };
        var engine = new AuthorizationEngine([deny, Policy(AuthorizationAction.Allow, to: [Match("request.path", ["/ip"])])]);

        var byRule = engine.Evaluate(Http(Client, method: "GET", path: "/ip"));
        Assert.False(byRule.Allowed);
        Assert.Equal("ns[foo]-policy[deny-method-get]-rule[1]", byRule.MatchedPolicyId);

        var allowed = engine.Evaluate(Http(Client, method: "PUT", path: "/ip"));
        Assert.True(allowed.Allowed);
        Assert.Equal("ns[default]-policy[Allow]-rule[0]", allowed.MatchedPolicyId);

        var noAllowMatched = engine.Evaluate(Http(Client, method: "PUT", path: "/headers"));
        Assert.False(noAllowMatched.Allowed);
        Assert.Null(noAllowMatched.MatchedPolicyId);
    }
    [Fact]
    public void NotPrincipals_ipBlocks_methods_hosts_ports_and_header_conditions()
    {
        var engine = new AuthorizationEngine(
        [
            Policy(AuthorizationAction.Allow,
                [Match("source.principal", [], ["cluster.local/ns/evil/*"]), Match("source.ip", ["10.0.0.0/8"])],
                [Match("request.method", ["GET", "HEAD"]), Match("request.host", ["*.example.com", "reviews:9080"]), Match("destination.port", ["9080"])],
                [Match("request.headers[x-token]", ["secret"])]),
        ]);
        (string, string) token = ("x-token", "secret");
        Assert.True(Allowed(engine, Http(Client, header: token)));
        Assert.True(Allowed(engine, Http(null, host: "API.example.com", header: token)));
        Assert.False(Allowed(engine, Http(Intruder, header: token)));
        Assert.False(Allowed(engine, Http(Client, ip: "192.168.1.1", header: token)));
        Assert.False(Allowed(engine, Http(Client, method: "POST", header: token)));
        Assert.False(Allowed(engine, Http(Client, port: 9443, header: token)));
        Assert.False(Allowed(engine, Http(Client)));
        Assert.False(Allowed(engine, Http(Client, header: ("x-token", "wrong"))));
    }

    [Fact]
    public void A_header_condition_compares_the_policy_text_as_UTF8_bytes()
    {
        // Envoy's header matcher sees the value's bytes; the sidecar holds them one char per byte (Latin-1), so a
        // policy's "José" must match J o s C3 A9 and not the single Latin-1 byte E9.
        var engine = new AuthorizationEngine([Policy(AuthorizationAction.Allow, when: [Match("request.headers[x-user]", ["Jos\u00e9", "*\u00fc"])])]);
        Assert.True(Allowed(engine, Http(Client, header: ("x-user", "Jos\u00c3\u00a9"))));
        Assert.True(Allowed(engine, Http(Client, header: ("x-user", "M\u00c3\u00bc"))));
        Assert.False(Allowed(engine, Http(Client, header: ("x-user", "Jos\u00e9"))));
    }

    [Fact]
    public void Hosts_match_the_authority_with_its_port_as_sent_ignoring_case()
    {
        // Istio's HostMatcher compares :authority as sent, port included (istio/istio#44080: a Host with a port needs
        // the host:port form in the policy).
        var deny = new AuthorizationEngine([Policy(AuthorizationAction.Allow, to: [Match("request.host", [], ["reviews"])])]);
        Assert.True(Allowed(deny, Http(Client, host: "reviews:9080")));
        Assert.False(Allowed(deny, Http(Client, host: "Reviews")));

        var allow = new AuthorizationEngine([Policy(AuthorizationAction.Allow, to: [Match("request.host", ["reviews:9080", "*.example.com:9080"])])]);
        Assert.True(Allowed(allow, Http(Client, host: "REVIEWS:9080")));
        Assert.True(Allowed(allow, Http(Client, host: "api.example.com:9080")));
        Assert.False(Allowed(allow, Http(Client, host: "reviews")));
    }

    [Fact]
    public void For_TCP_http_only_fields_make_an_ALLOW_rule_never_match_and_are_ignored_by_DENY()
    {
        var tcp = new AuthorizationRequest(Client, IPAddress.Loopback, 9080, null);
        var allowWithPath = new AuthorizationEngine([Policy(AuthorizationAction.Allow, [Match("source.principal", ["*"])], [Match("request.path", ["/x"])])]);
        Assert.False(Allowed(allowWithPath, tcp));

        var allowByPort = new AuthorizationEngine([Policy(AuthorizationAction.Allow, to: [Match("destination.port", ["9080"])])]);
        Assert.True(Allowed(allowByPort, tcp));

        var denyWithMethod = new AuthorizationEngine([Policy(AuthorizationAction.Deny, [Match("source.principal", ["*"])], [Match("request.method", ["DELETE"])])]);
        Assert.False(Allowed(denyWithMethod, tcp));
        Assert.True(Allowed(denyWithMethod, Http(Client, method: "GET")));
    }

    [Fact]
    public void An_ALLOW_policy_without_rules_denies_everything_and_AUDIT_only_reports()
    {
        var engine = new AuthorizationEngine(
        [
            new AuthorizationPolicyConfig { Name = "default/deny-all", Action = AuthorizationAction.Allow },
            Policy(AuthorizationAction.Audit, to: [Match("request.path", ["/audited"])]),
        ]);
        Assert.False(Allowed(engine, Http(Client, path: "/audited")));
        Assert.Equal("default/Audit", engine.Audit(Http(Client, path: "/audited")));
        Assert.Null(engine.Audit(Http(Client, path: "/other")));
    }

    [Fact]
    public void remote_ip_is_the_last_X_Forwarded_For_address_and_source_ip_the_peer()
    {
        // A sidecar's connection manager has use_remote_address false and no trusted hops: Envoy's downstream remote
        // address (remoteIpBlocks) is the rightmost X-Forwarded-For entry; ipBlocks stays the connection's peer.
        var denyRemote = new AuthorizationEngine([Policy(AuthorizationAction.Deny, [Match("remote.ip", ["10.1.2.0/24"])])]);
        var denySource = new AuthorizationEngine([Policy(AuthorizationAction.Deny, [Match("source.ip", ["10.1.2.0/24"])])]);

        Assert.False(Allowed(denyRemote, Http(Client, ip: "10.0.0.7", header: ("x-forwarded-for", "192.0.2.1, 10.1.2.3"))));
        Assert.True(Allowed(denyRemote, Http(Client, ip: "10.0.0.7", header: ("x-forwarded-for", "10.1.2.3, 192.0.2.1"))));
        Assert.False(Allowed(denyRemote, Http(Client, ip: "10.1.2.9")));
        Assert.True(Allowed(denySource, Http(Client, ip: "10.0.0.7", header: ("x-forwarded-for", "10.1.2.3"))));
    }

    [Fact]
    public void destination_ip_and_connection_sni_conditions_see_the_connection()
    {
        var denyDestination = new AuthorizationEngine([Policy(AuthorizationAction.Deny, when: [Match("destination.ip", ["10.244.0.0/16"])])]);
        var allowSni = new AuthorizationEngine([Policy(AuthorizationAction.Allow, when: [Match("connection.sni", ["*.reviews.default.svc.cluster.local"])])]);

        Assert.False(Allowed(denyDestination, new AuthorizationRequest(Client, IPAddress.Loopback, 9080, null, destinationAddress: IPAddress.Parse("10.244.1.5"))));
        Assert.True(Allowed(denyDestination, new AuthorizationRequest(Client, IPAddress.Loopback, 9080, null, destinationAddress: IPAddress.Parse("10.245.1.5"))));
        Assert.True(Allowed(allowSni, new AuthorizationRequest(Client, IPAddress.Loopback, 9080, null, serverName: "outbound_.9080_._.reviews.default.svc.cluster.local")));
        Assert.False(Allowed(allowSni, new AuthorizationRequest(Client, IPAddress.Loopback, 9080, null)));
    }

    [Fact]
    public void hosts_match_the_authority_as_sent()
    {
        var allow = new AuthorizationEngine([Policy(AuthorizationAction.Allow, to: [Match("request.host", ["xn--bcher-kva.example*"])])]);

        Assert.True(Allowed(allow, Http(Client, host: "xn--bcher-kva.example:9080")));
    }

    [Fact]
    public void Path_templates_match_one_segment_with_a_single_star_and_the_rest_with_a_double_star()
    {
        // Istio 1.22+ paths (Envoy's uri_template): {*} is one non-empty segment, {**} anything to the end.
        var deny = new AuthorizationEngine([Policy(AuthorizationAction.Deny, to: [Match("request.path", ["/api/{*}/admin", "/files/{**}"])])]);

        Assert.False(Allowed(deny, Http(Client, path: "/api/v1/admin")));
        Assert.True(Allowed(deny, Http(Client, path: "/api/v1/v2/admin")));
        Assert.True(Allowed(deny, Http(Client, path: "/api//admin")));
        Assert.False(Allowed(deny, Http(Client, path: "/files/a/b/c")));
        Assert.False(Allowed(deny, Http(Client, path: "/files/")));
        Assert.True(Allowed(deny, Http(Client, path: "/filesystem")));
    }

    [Fact]
    public void source_serviceAccount_is_the_namespace_and_name_of_the_peers_identity()
    {
        var allow = new AuthorizationEngine([Policy(AuthorizationAction.Allow, when: [Match("source.serviceAccount", ["default/client"])])]);

        Assert.True(Allowed(allow, Http(Client)));
        Assert.False(Allowed(allow, Http(Intruder)));
        Assert.False(Allowed(allow, Http(null)));
    }

    [Fact]
    public void requestPrincipals_match_the_issuer_and_subject_split_at_the_last_slash()
    {
        // Istio's requestPrincipalGenerator: "iss/sub" is split at its last '/', each side matched on its own; "*"
        // needs both an issuer and a subject.
        var engine = new AuthorizationEngine(
        [
            Policy(AuthorizationAction.Allow, [Match("request.auth.principal", ["https://issuer.test/*"])], [Match("request.path", ["/rp"])]),
            Policy(AuthorizationAction.Allow, [Match("request.auth.principal", ["*/admin"])], [Match("request.path", ["/suffix"])]),
            Policy(AuthorizationAction.Allow, [Match("request.auth.principal", ["*"])], [Match("request.path", ["/any"])]),
        ]);

        Assert.True(Allowed(engine, Jwt("https://issuer.test", "alice", "/rp")));
        Assert.False(Allowed(engine, Jwt("https://issuer.test/tenant1", "alice", "/rp")));
        Assert.True(Allowed(engine, Jwt("https://other.test", "admin", "/suffix")));
        Assert.False(Allowed(engine, Jwt("https://issuer.test", "x/admin", "/suffix")));
        Assert.True(Allowed(engine, Jwt("https://issuer.test", "bob", "/any")));
        Assert.False(Allowed(engine, Jwt("https://issuer.test", null, "/any")));
        Assert.False(Allowed(engine, Http(Client, path: "/any")));
    }

    private static AuthorizationRequest Jwt(string issuer, string? subject, string path) =>
        Http(Client, path: path, jwt: new Sidecar.Proxy.Security.Jwt.JwtIdentity(issuer,
            System.Text.Json.JsonDocument.Parse(subject is null ? "{}" : $$"""{"sub": "{{subject}}"}""").RootElement.Clone()));
}
