using Envoy.Config.Core.V3;
using Envoy.Config.Rbac.V3;
using Envoy.Config.Route.V3;
using Sidecar.Model;
using Sidecar.Xds.Translation;
using EnvoyStringMatcher = Envoy.Type.Matcher.V3.StringMatcher;

namespace Sidecar.Xds.Tests;

/// <summary>Envoy RBAC as istiod writes AuthorizationPolicies, read back into the model's Istio-shaped policies.</summary>
public sealed class RbacTranslatorTests
{
    [Fact]
    public void An_ALLOW_rule_from_a_namespace_to_a_method_and_path_becomes_one_policy_rule()
    {
        // istiod: principals and_ids[or_ids[authenticated safe_regex ".*/ns/foo/.*"]],
        // permissions and_rules[or_rules[:method GET], or_rules[url_path exact /info, prefix /api/]].
        var rbac = new RBAC
        {
            Action = RBAC.Types.Action.Allow,
            Policies =
            {
                ["ns[default]-policy[allow-foo]-rule[0]"] = new Policy
                {
                    Principals = { And(Or(new Principal { Authenticated = new Principal.Types.Authenticated { PrincipalName = Regex(".*/ns/foo/.*") } })) },
                    Permissions =
                    {
                        AndRules(
                            OrRules(new Permission { Header = new HeaderMatcher { Name = ":method", StringMatch = new EnvoyStringMatcher { Exact = "GET" } } }),
                            OrRules(
                                new Permission { UrlPath = new Envoy.Type.Matcher.V3.PathMatcher { Path = new EnvoyStringMatcher { Exact = "/info" } } },
                                new Permission { UrlPath = new Envoy.Type.Matcher.V3.PathMatcher { Path = new EnvoyStringMatcher { Prefix = "/api/" } } })),
                    },
                },
            },
        };

        var policies = Translate(rbac, out var errors);

        Assert.False(errors.Any);
        var policy = Assert.Single(policies.Values);
        Assert.Equal("default/allow-foo", policy.Name);
        Assert.Equal(AuthorizationAction.Allow, policy.Action);
        var rule = Assert.Single(policy.Rules);
        var from = Assert.Single(Assert.Single(rule.From).Matches);
        Assert.Equal(new AttributeMatchConfig("source.namespace", ["foo"], []), from);
        var to = Assert.Single(rule.To).Matches;
        Assert.Equal(new AttributeMatchConfig("request.method", ["GET"], []), to[0]);
        Assert.Equal(new AttributeMatchConfig("request.path", ["/info", "/api/*"], []), to[1]);
    }

    [Fact]
    public void A_DENY_rule_with_notPrincipals_and_ports_keeps_the_negation_and_strips_spiffe()
    {
        var rbac = new RBAC
        {
            Action = RBAC.Types.Action.Deny,
            Policies =
            {
                ["ns[default]-policy[deny-others]-rule[0]"] = new Policy
                {
                    Principals = { And(new Principal { NotId = Or(new Principal { Authenticated = new Principal.Types.Authenticated { PrincipalName = new EnvoyStringMatcher { Exact = "spiffe://cluster.local/ns/default/sa/sleep" } } }) }) },
                    Permissions = { AndRules(OrRules(new Permission { DestinationPort = 9080 })) },
                },
            },
        };

        var policy = Assert.Single(Translate(rbac, out var errors).Values);

        Assert.False(errors.Any);
        Assert.Equal(AuthorizationAction.Deny, policy.Action);
        var rule = Assert.Single(policy.Rules);
        Assert.Equal(new AttributeMatchConfig("source.principal", [], ["cluster.local/ns/default/sa/sleep"]), Assert.Single(Assert.Single(rule.From).Matches));
        Assert.Equal(new AttributeMatchConfig("destination.port", ["9080"], []), Assert.Single(Assert.Single(rule.To).Matches));
    }

    [Fact]
    public void The_rules_of_one_AuthorizationPolicy_are_gathered_under_its_name()
    {
        var rbac = new RBAC { Action = RBAC.Types.Action.Allow };
        for (var i = 0; i < 2; i++)
        {
            rbac.Policies[$"ns[default]-policy[two-rules]-rule[{i}]"] = new Policy
            {
                Principals = { new Principal { Any = true } },
                Permissions = { new Permission { DestinationPort = (uint)(9080 + i) } },
            };
        }

        var policy = Assert.Single(Translate(rbac, out _).Values);

        Assert.Equal(2, policy.Rules.Count);
        Assert.Empty(Assert.Single(policy.Rules[0].From).Matches);
    }

    [Fact]
    public void ALLOW_without_policies_denies_everything_as_Envoy_does()
    {
        var policy = Assert.Single(Translate(new RBAC { Action = RBAC.Types.Action.Allow }, out _).Values);

        Assert.Equal(AuthorizationAction.Allow, policy.Action);
        Assert.True(policy.Rules.IsEmpty);
    }

    [Fact]
    public void Request_principals_and_claims_are_the_JWT_filters_metadata()
    {
        // istiod: requestPrincipals and when request.auth.claims[groups] as istio_authn metadata matchers.
        var principal = Metadata(new Envoy.Type.Matcher.V3.ValueMatcher { StringMatch = new EnvoyStringMatcher { Exact = "https://issuer.example.com/user-1" } }, "request.auth.principal");
        var group = Metadata(new Envoy.Type.Matcher.V3.ValueMatcher { ListMatch = new Envoy.Type.Matcher.V3.ListMatcher { OneOf = new Envoy.Type.Matcher.V3.ValueMatcher { StringMatch = new EnvoyStringMatcher { Prefix = "admin" } } } }, "request.auth.claims", "groups");
        var rbac = new RBAC
        {
            Action = RBAC.Types.Action.Allow,
            Policies = { ["ns[default]-policy[require-jwt]-rule[0]"] = new Policy { Principals = { And(Or(principal), Or(group)) }, Permissions = { new Permission { Any = true } } } },
        };

        var policy = Assert.Single(Translate(rbac, out var errors).Values);

        Assert.False(errors.Any);
        var from = Assert.Single(Assert.Single(policy.Rules).From).Matches;
        Assert.Equal(new AttributeMatchConfig("request.auth.principal", ["https://issuer.example.com/user-1"], []), from[0]);
        Assert.Equal(new AttributeMatchConfig("request.auth.claims[groups]", ["admin*"], []), from[1]);
    }

    [Fact]
    public void A_rule_this_sidecar_cannot_enforce_refuses_the_push()
    {
        // Metadata of another filter than the JWT one: nothing this sidecar records.
        var rbac = new RBAC
        {
            Action = RBAC.Types.Action.Allow,
            Policies = { ["ns[default]-policy[other]-rule[0]"] = new Policy { Principals = { new Principal { Metadata = new Envoy.Type.Matcher.V3.MetadataMatcher { Filter = "envoy.lb", Path = { new Envoy.Type.Matcher.V3.MetadataMatcher.Types.PathSegment { Key = "x" } } } } }, Permissions = { new Permission { Any = true } } } },
        };

        var policies = Translate(rbac, out var errors);

        Assert.Empty(policies);
        var error = Assert.Single(errors.All);
        Assert.Equal("Listener virtualInbound", error.Resource);
        Assert.Contains("principals[0]", error.Field, StringComparison.Ordinal);
    }

    private static Dictionary<string, AuthorizationPolicyConfig> Translate(RBAC rbac, out TranslationErrors errors)
    {
        errors = new TranslationErrors();
        var policies = new Dictionary<string, AuthorizationPolicyConfig>();
        RbacTranslator.Add(rbac, "", policies, errors, "Listener virtualInbound", "filter_chains[0].filters[0]");
        return policies;
    }

    private static Principal Metadata(Envoy.Type.Matcher.V3.ValueMatcher value, params string[] path)
    {
        var matcher = new Envoy.Type.Matcher.V3.MetadataMatcher { Filter = "istio_authn", Value = value };
        matcher.Path.AddRange(path.Select(key => new Envoy.Type.Matcher.V3.MetadataMatcher.Types.PathSegment { Key = key }));
        return new Principal { Metadata = matcher };
    }

    private static EnvoyStringMatcher Regex(string regex) => new() { SafeRegex = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = regex } };

    private static Principal And(params Principal[] ids) => new() { AndIds = new Principal.Types.Set { Ids = { ids } } };

    private static Principal Or(params Principal[] ids) => new() { OrIds = new Principal.Types.Set { Ids = { ids } } };

    private static Permission AndRules(params Permission[] rules) => new() { AndRules = new Permission.Types.Set { Rules = { rules } } };

    private static Permission OrRules(params Permission[] rules) => new() { OrRules = new Permission.Types.Set { Rules = { rules } } };
}
