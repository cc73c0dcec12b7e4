using System.Globalization;
using System.Text.RegularExpressions;
using Envoy.Config.Rbac.V3;
using Sidecar.Model;
using EnvoyHeaderMatcher = Envoy.Config.Route.V3.HeaderMatcher;
using Envoy.Type.Matcher.V3;
using EnvoyStringMatcher = Envoy.Type.Matcher.V3.StringMatcher;

namespace Sidecar.Xds.Translation;

/// <summary>
/// Envoy RBAC as istiod writes it from AuthorizationPolicies, back into the model's Istio-shaped policies: each RBAC
/// policy (one Istio rule) is a rule whose principals are its <c>from</c> clauses and permissions its <c>to</c>
/// clauses; inside a clause, istiod's <c>and</c> of <c>or</c>s of one attribute (and <c>not</c>s of them) are
/// attribute tests with values and notValues in Istio's forms (exact, <c>prefix*</c>, <c>*suffix</c>, <c>*</c>,
/// CIDRs); request principals and claims come from the JWT filter's metadata. A shape istiod does not write for
/// sidecars (regex paths, other metadata) refuses the push: a policy is enforced as written or not at all.
/// </summary>
internal static partial class RbacTranslator
{
    /// <param name="custom">The rules are istiod's CUSTOM policies (the shadow rules that select what ext_authz checks).</param>
    public static void Add(RBAC? rules, string statPrefix, Dictionary<string, AuthorizationPolicyConfig> policies, TranslationErrors errors, string resource, string field, bool custom = false)
    {
        if (rules is null)
        {
            // Shadow rules only (a dry run): nothing is enforced.
            return;
        }

        var action = custom ? AuthorizationAction.Custom : rules.Action switch
        {
            RBAC.Types.Action.Deny => AuthorizationAction.Deny,
            RBAC.Types.Action.Log => AuthorizationAction.Audit,
            _ => AuthorizationAction.Allow,
        };
        if (rules.Policies.Count == 0 && action == AuthorizationAction.Allow)
        {
            // ALLOW with no policy: Envoy denies every request.
            var name = statPrefix is { Length: > 0 } ? statPrefix : "allow-nothing";
            policies.TryAdd(name, new AuthorizationPolicyConfig { Name = name, Action = action });
            return;
        }

        // By policy, then by rule number: a rule's place in its policy is the number Envoy reports when it matches.
        foreach (var (policyName, policy) in rules.Policies.OrderBy(p => IstioName(p.Key), StringComparer.Ordinal).ThenBy(p => RuleNumber(p.Key)))
        {
            var at = $"{field}.rules.policies[{policyName}]";
            var from = policy.Principals.Select((p, i) => Clause(p, errors, resource, $"{at}.principals[{i}]")).ToList();
            var to = policy.Permissions.Select((p, i) => Clause(p, errors, resource, $"{at}.permissions[{i}]")).ToList();
            if (from.Contains(null) || to.Contains(null))
            {
                continue;
            }

            var name = IstioName(policyName);
            var rule = new AuthorizationRuleConfig
            {
                From = from.OfType<AttributeClauseConfig>().ToEquatableArray(),
                To = to.OfType<AttributeClauseConfig>().ToEquatableArray(),
            };
            // One AuthorizationPolicy's rules arrive as policies "-rule[0]", "-rule[1]", ...: gathered under its name.
            var key = $"{action}:{name}";
            policies[key] = policies.TryGetValue(key, out var existing)
                ? existing with { Rules = existing.Rules.Append(rule).ToEquatableArray() }
                : new AuthorizationPolicyConfig { Name = name, Action = action, Rules = [rule] };
        }
    }

    /// <summary>istiod's policy name <c>ns[NS]-policy[NAME]-rule[N]</c> (CUSTOM ones prefixed <c>istio-ext-authz-</c>) as the model's <c>NS/NAME</c>.</summary>
    private static string IstioName(string policyName) =>
        IstiodPolicyName().Match(policyName) is { Success: true } match ? $"{match.Groups[1].Value}/{match.Groups[2].Value}" : policyName;

    /// <summary>The N of istiod's <c>-rule[N]</c>; 0 for a policy named otherwise.</summary>
    private static int RuleNumber(string policyName) =>
        IstiodPolicyName().Match(policyName) is { Success: true } match ? int.Parse(match.Groups[3].ValueSpan, CultureInfo.InvariantCulture) : 0;

    private static AttributeClauseConfig? Clause(Principal principal, TranslationErrors errors, string resource, string field)
    {
        var tests = new List<AttributeMatchConfig>();
        foreach (var part in principal.IdentifierCase == Principal.IdentifierOneofCase.AndIds ? principal.AndIds.Ids : [principal])
        {
            if (part.IdentifierCase == Principal.IdentifierOneofCase.Any && part.Any)
            {
                continue;
            }

            if (Test(part, errors, resource, field) is not { } test)
            {
                return null;
            }

            tests.Add(test);
        }

        return new AttributeClauseConfig(tests.ToEquatableArray());
    }

    private static AttributeClauseConfig? Clause(Permission permission, TranslationErrors errors, string resource, string field)
    {
        var tests = new List<AttributeMatchConfig>();
        foreach (var part in permission.RuleCase == Permission.RuleOneofCase.AndRules ? permission.AndRules.Rules : [permission])
        {
            if (part.RuleCase == Permission.RuleOneofCase.Any && part.Any)
            {
                continue;
            }

            if (Test(part, errors, resource, field) is not { } test)
            {
                return null;
            }

            tests.Add(test);
        }

        return new AttributeClauseConfig(tests.ToEquatableArray());
    }

    private static AttributeMatchConfig? Test(Principal principal, TranslationErrors errors, string resource, string field)
    {
        var negate = principal.IdentifierCase == Principal.IdentifierOneofCase.NotId;
        var inner = negate ? principal.NotId : principal;
        var leaves = inner.IdentifierCase == Principal.IdentifierOneofCase.OrIds ? inner.OrIds.Ids.ToList() : [inner];
        return Combine(leaves.Select(Leaf).ToList(), negate, errors, resource, field);
    }

    private static AttributeMatchConfig? Test(Permission permission, TranslationErrors errors, string resource, string field)
    {
        var negate = permission.RuleCase == Permission.RuleOneofCase.NotRule;
        var inner = negate ? permission.NotRule : permission;
        var leaves = inner.RuleCase == Permission.RuleOneofCase.OrRules ? inner.OrRules.Rules.ToList() : [inner];
        return Combine(leaves.Select(Leaf).ToList(), negate, errors, resource, field);
    }

    /// <summary>Leaves of one attribute, ORed, as one test (its notValues when negated).</summary>
    private static AttributeMatchConfig? Combine(List<(string Attribute, string Value)?> leaves, bool negate, TranslationErrors errors, string resource, string field)
    {
        if (leaves.Count == 0 || leaves.Contains(null) || leaves.Select(l => l!.Value.Attribute).Distinct().Count() != 1)
        {
            errors.Add(resource, field, "an RBAC rule this sidecar cannot enforce (metadata other than the JWT filter's, regex paths or mixed attributes): the push is refused");
            return null;
        }

        var values = leaves.Select(l => l!.Value.Value).ToEquatableArray();
        var attribute = leaves[0]!.Value.Attribute;
        return negate ? new AttributeMatchConfig(attribute, [], values) : new AttributeMatchConfig(attribute, values, []);
    }

    private static (string Attribute, string Value)? Leaf(Principal principal) => principal.IdentifierCase switch
    {
        Principal.IdentifierOneofCase.Authenticated => PrincipalName(principal.Authenticated.PrincipalName),
        Principal.IdentifierOneofCase.DirectRemoteIp => ("source.ip", XdsValues.Cidr(principal.DirectRemoteIp)),
        Principal.IdentifierOneofCase.SourceIp => ("source.ip", XdsValues.Cidr(principal.SourceIp)),
        Principal.IdentifierOneofCase.RemoteIp => ("remote.ip", XdsValues.Cidr(principal.RemoteIp)),
        Principal.IdentifierOneofCase.Header => Header(principal.Header),
        Principal.IdentifierOneofCase.Metadata => RequestAuth(principal.Metadata),
        _ => null,
    };

    private static (string Attribute, string Value)? Leaf(Permission permission) => permission.RuleCase switch
    {
        Permission.RuleOneofCase.Header => Header(permission.Header),
        Permission.RuleOneofCase.UrlPath when permission.UrlPath.Path is { } path => Pattern(path) is { } value ? ("request.path", value) : null,
        Permission.RuleOneofCase.DestinationIp => ("destination.ip", XdsValues.Cidr(permission.DestinationIp)),
        Permission.RuleOneofCase.DestinationPort => ("destination.port", permission.DestinationPort.ToString(CultureInfo.InvariantCulture)),
        Permission.RuleOneofCase.RequestedServerName => Pattern(permission.RequestedServerName) is { } sni ? ("connection.sni", sni) : null,
        _ => null,
    };

    /// <summary>
    /// A peer's SPIFFE id as istiod matches it: exact, prefix or suffix of <c>spiffe://td/ns/NS/sa/SA</c>, any
    /// authenticated peer (<c>.+</c>), or a namespace (<c>.*/ns/NS/.*</c>).
    /// </summary>
    private static (string Attribute, string Value)? PrincipalName(EnvoyStringMatcher? matcher)
    {
        const string Scheme = "spiffe://";
        if (matcher?.MatchPatternCase == EnvoyStringMatcher.MatchPatternOneofCase.SafeRegex)
        {
            var regex = matcher.SafeRegex.Regex;
            if (regex is ".+" or ".*")
            {
                return ("source.principal", "*");
            }

            return IstiodNamespaceRegex().Match(regex) is { Success: true } ns ? ("source.namespace", ns.Groups[1].Value) : null;
        }

        return Pattern(matcher) is { } value ? ("source.principal", value.StartsWith(Scheme, StringComparison.Ordinal) ? value[Scheme.Length..] : value) : null;
    }

    /// <summary>
    /// istiod's request-principal, audience, presenter and claim matchers: the JWT authentication filter's metadata at
    /// <c>request.auth.*</c> (a claim's nested keys following <c>request.auth.claims</c>; a list claim matched by one_of).
    /// </summary>
    private static (string Attribute, string Value)? RequestAuth(MetadataMatcher metadata)
    {
        if (metadata.Invert || metadata.Filter is not ("istio_authn" or "envoy.filters.http.jwt_authn"))
        {
            return null;
        }

        var keys = metadata.Path.Select(p => p.Key).ToList();
        var attribute = keys switch
        {
            ["request.auth.principal"] => "request.auth.principal",
            ["request.auth.audiences"] => "request.auth.audiences",
            ["request.auth.presenter"] => "request.auth.presenter",
            ["request.auth.claims", .. var claim] when claim.Count > 0 => $"request.auth.claims[{string.Join("][", claim)}]",
            _ => null,
        };
        var value = metadata.Value;
        if (value?.MatchPatternCase == ValueMatcher.MatchPatternOneofCase.ListMatch)
        {
            value = value.ListMatch.OneOf;
        }

        var pattern = value?.MatchPatternCase switch
        {
            ValueMatcher.MatchPatternOneofCase.PresentMatch when value.PresentMatch => "*",
            ValueMatcher.MatchPatternOneofCase.StringMatch when value.StringMatch is { MatchPatternCase: EnvoyStringMatcher.MatchPatternOneofCase.SafeRegex } regex
                => regex.SafeRegex.Regex is ".+" or ".*" ? "*" : null,
            ValueMatcher.MatchPatternOneofCase.StringMatch => Pattern(value.StringMatch),
            _ => null,
        };
        return attribute is null || pattern is null ? null : (attribute, pattern);
    }

    private static (string Attribute, string Value)? Header(EnvoyHeaderMatcher header)
    {
        var attribute = header.Name switch
        {
            ":method" => "request.method",
            ":authority" or "host" => "request.host",
            ":path" => "request.path",
            var name => $"request.headers[{name}]",
        };
        string? value = header.HeaderMatchSpecifierCase switch
        {
            EnvoyHeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => Pattern(header.StringMatch),
            EnvoyHeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => header.ExactMatch,
            EnvoyHeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => header.PrefixMatch + "*",
            EnvoyHeaderMatcher.HeaderMatchSpecifierOneofCase.SuffixMatch => "*" + header.SuffixMatch,
            EnvoyHeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch when header.PresentMatch => "*",
            _ => null,
        };
        return value is null || header.InvertMatch ? null : (attribute, value);
    }

    /// <summary>Istio's value forms from a string matcher: exact, <c>prefix*</c>, <c>*suffix</c>; null for the rest.</summary>
    private static string? Pattern(EnvoyStringMatcher? matcher) => matcher?.MatchPatternCase switch
    {
        EnvoyStringMatcher.MatchPatternOneofCase.Exact => matcher.Exact,
        EnvoyStringMatcher.MatchPatternOneofCase.Prefix => matcher.Prefix + "*",
        EnvoyStringMatcher.MatchPatternOneofCase.Suffix => "*" + matcher.Suffix,
        _ => null,
    };

    [GeneratedRegex(@"^(?:istio-ext-authz-)?ns\[(.+)\]-policy\[(.+)\]-rule\[(\d+)\]$", RegexOptions.CultureInvariant)]
    private static partial Regex IstiodPolicyName();

    [GeneratedRegex(@"^\.\*/ns/([^/]+)/\.\*$", RegexOptions.CultureInvariant)]
    private static partial Regex IstiodNamespaceRegex();
}
