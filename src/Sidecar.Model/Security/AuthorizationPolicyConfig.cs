namespace Sidecar.Model;

/// <summary>Istio's AuthorizationPolicy <c>action</c>.</summary>
public enum AuthorizationAction
{
    Allow,
    Deny,

    /// <summary>Matches are logged; the request is neither allowed nor denied by it.</summary>
    Audit,

    /// <summary>Matched requests are checked with the external authorization service (<see cref="ProxyConfig.ExtAuthz"/>) first.</summary>
    Custom,
}

/// <summary>
/// One AuthorizationPolicy that applies to this workload (selector and root-namespace scope already resolved), in the
/// shape of Envoy's RBAC policy: a request matches when any rule matches.
/// </summary>
public sealed record AuthorizationPolicyConfig
{
    /// <summary><c>namespace/name</c>, for logs and the access log's policy name.</summary>
    public required string Name { get; init; }

    public AuthorizationAction Action { get; init; } = AuthorizationAction.Allow;

    /// <summary>Empty: the policy matches nothing (an ALLOW policy without rules denies all).</summary>
    public EquatableArray<AuthorizationRuleConfig> Rules { get; init; }
}

/// <summary>An Istio rule: any <c>from</c> clause, any <c>to</c> clause, and every <c>when</c> condition (empty lists match).</summary>
public sealed record AuthorizationRuleConfig
{
    public EquatableArray<AttributeClauseConfig> From { get; init; }

    public EquatableArray<AttributeClauseConfig> To { get; init; }

    public EquatableArray<AttributeMatchConfig> When { get; init; }
}

/// <summary>One <c>source</c> or <c>operation</c>: every attribute match in it must hold.</summary>
public sealed record AttributeClauseConfig(EquatableArray<AttributeMatchConfig> Matches);

/// <summary>
/// One attribute test in Istio's vocabulary (<c>source.principal</c>, <c>source.namespace</c>, <c>source.ip</c>,
/// <c>remote.ip</c>, <c>request.method</c>, <c>request.path</c>, <c>request.host</c>, <c>destination.port</c>,
/// <c>request.headers[name]</c>): it holds when the attribute matches any of <see cref="Values"/> (or there are none)
/// and none of <see cref="NotValues"/>. Values use Istio's forms: exact, <c>prefix*</c>, <c>*suffix</c>, <c>*</c>, CIDRs.
/// </summary>
public sealed record AttributeMatchConfig(string Attribute, EquatableArray<string> Values, EquatableArray<string> NotValues);
