using Sidecar.Model;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// The workload's AuthorizationPolicies compiled once per snapshot, evaluated in Istio's order: CUSTOM first (a match
/// sends the request to the external authorization service), then DENY (any match denies), then ALLOW (with ALLOW
/// policies present, a request must match one), AUDIT only reported. Denied HTTP requests get 403 <c>RBAC: access
/// denied</c>; denied TCP connections are closed.
/// </summary>
internal sealed class AuthorizationEngine
{
    public static readonly AuthorizationEngine Empty = new(default);

    private readonly Policy[] _deny;
    private readonly Policy[] _allow;
    private readonly Policy[] _audit;
    private readonly Policy[] _custom;

    public AuthorizationEngine(EquatableArray<AuthorizationPolicyConfig> policies)
    {
        var deny = new List<Policy>();
        var allow = new List<Policy>();
        var audit = new List<Policy>();
        var custom = new List<Policy>();
        foreach (var policy in policies)
        {
            var compiled = new Policy(policy.Name, [.. policy.Rules.Select(r => new CompiledRule(r))], [.. policy.Rules.Select((_, i) => EnvoyPolicyId(policy.Name, i))]);
            (policy.Action switch
            {
                AuthorizationAction.Deny => deny,
                AuthorizationAction.Audit => audit,
                AuthorizationAction.Custom => custom,
                _ => allow,
            }).Add(compiled);
        }

        _deny = [.. deny];
        _allow = [.. allow];
        _audit = [.. audit];
        _custom = [.. custom];
    }

    /// <summary>Whether CUSTOM policies exist (requests they match need the external check first).</summary>
    public bool HasCustom => _custom.Length > 0;

    /// <summary>Whether a CUSTOM policy matches the request: it must then be checked with the external authorization service.</summary>
    public bool MatchesCustom(in AuthorizationRequest request)
    {
        foreach (var policy in _custom)
        {
            if (policy.Match(request, ignoreHttpOnlyFields: false) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a request must be evaluated at all: AUDIT policies alone decide nothing.</summary>
    public bool HasPolicies => _deny.Length + _allow.Length > 0;

    public AuthorizationDecision Evaluate(in AuthorizationRequest request)
    {
        foreach (var policy in _deny)
        {
            if (policy.Match(request, ignoreHttpOnlyFields: true) is { } rule)
            {
                return new AuthorizationDecision(false, policy.Name, rule);
            }
        }

        if (_allow.Length == 0)
        {
            return AuthorizationDecision.AllowedByDefault;
        }

        foreach (var policy in _allow)
        {
            if (policy.Match(request, ignoreHttpOnlyFields: false) is { } rule)
            {
                return new AuthorizationDecision(true, policy.Name, rule);
            }
        }

        return new AuthorizationDecision(false, null);
    }

    /// <summary>The AUDIT policy the request matches, if any (Envoy logs it; nothing is enforced).</summary>
    public string? Audit(in AuthorizationRequest request)
    {
        foreach (var policy in _audit)
        {
            if (policy.Match(request, ignoreHttpOnlyFields: false) is not null)
            {
                return policy.Name;
            }
        }

        return null;
    }

    /// <summary>
    /// The id Envoy's RBAC filter reports for a policy's rule (in <c>rbac_access_denied_matched_policy[...]</c>):
    /// istiod names each rule of AuthorizationPolicy NAME in namespace NS <c>ns[NS]-policy[NAME]-rule[N]</c>. A model
    /// policy named otherwise (an RBAC policy of another control plane) keeps its name.
    /// </summary>
    internal static string EnvoyPolicyId(string policyName, int rule)
    {
        var slash = policyName.IndexOf('/');
        return slash < 0 ? policyName : $"ns[{policyName[..slash]}]-policy[{policyName[(slash + 1)..]}]-rule[{rule}]";
    }

    private sealed class Policy(string name, CompiledRule[] rules, string[] ruleIds)
    {
        public string Name { get; } = name;

        /// <summary>The id of the first rule the request matches; null when none does.</summary>
        public string? Match(in AuthorizationRequest request, bool ignoreHttpOnlyFields)
        {
            for (var i = 0; i < rules.Length; i++)
            {
                if (rules[i].Matches(request, ignoreHttpOnlyFields))
                {
                    return ruleIds[i];
                }
            }

            return null;
        }
    }
}
