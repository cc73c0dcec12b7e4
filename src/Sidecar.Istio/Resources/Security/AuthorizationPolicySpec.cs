namespace Sidecar.Istio.Resources.Security;

/// <summary>Istio's <c>AuthorizationPolicy</c> spec (security.istio.io).</summary>
public sealed record AuthorizationPolicySpec : IstioSpec
{
    /// <summary><c>selector.matchLabels</c>; null when absent.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    public IReadOnlyList<PolicyTargetReference> TargetRefs { get; init; } = [];

    /// <summary>ALLOW (the default), DENY, AUDIT or CUSTOM.</summary>
    public string Action { get; init; } = "ALLOW";

    /// <summary><c>provider.name</c> for CUSTOM; null when <c>provider</c> is absent.</summary>
    public string? ProviderName { get; init; }

    public bool HasProvider { get; init; }

    /// <summary>Null when <c>rules</c> is absent (ALLOW then matches nothing), empty for <c>rules: []</c>.</summary>
    public IReadOnlyList<AuthorizationRule>? Rules { get; init; }
}

/// <summary><c>targetRef</c>/<c>targetRefs[]</c>.</summary>
public sealed record PolicyTargetReference(string? Group, string? Kind, string? Name, string? Namespace);

/// <summary>One rule: all of <c>from</c>, <c>to</c> and <c>when</c> must match (each list is ORed within).</summary>
public sealed record AuthorizationRule
{
    /// <summary>Null when absent.</summary>
    public IReadOnlyList<AuthorizationSource?>? From { get; init; }

    public IReadOnlyList<AuthorizationOperation?>? To { get; init; }

    public IReadOnlyList<AuthorizationCondition> When { get; init; } = [];
}

/// <summary><c>from[].source</c>.</summary>
public sealed record AuthorizationSource
{
    public IReadOnlyList<string>? Principals { get; init; }

    public IReadOnlyList<string>? NotPrincipals { get; init; }

    public IReadOnlyList<string>? RequestPrincipals { get; init; }

    public IReadOnlyList<string>? NotRequestPrincipals { get; init; }

    public IReadOnlyList<string>? Namespaces { get; init; }

    public IReadOnlyList<string>? NotNamespaces { get; init; }

    /// <summary>Trust domains of the peer identity (Istio 1.29+); they need mTLS, like principals.</summary>
    public IReadOnlyList<string>? TrustDomains { get; init; }

    public IReadOnlyList<string>? NotTrustDomains { get; init; }

    public IReadOnlyList<string>? ServiceAccounts { get; init; }

    public IReadOnlyList<string>? NotServiceAccounts { get; init; }

    public IReadOnlyList<string>? IpBlocks { get; init; }

    public IReadOnlyList<string>? NotIpBlocks { get; init; }

    public IReadOnlyList<string>? RemoteIpBlocks { get; init; }

    public IReadOnlyList<string>? NotRemoteIpBlocks { get; init; }
}

/// <summary><c>to[].operation</c>.</summary>
public sealed record AuthorizationOperation
{
    public IReadOnlyList<string>? Hosts { get; init; }

    public IReadOnlyList<string>? NotHosts { get; init; }

    public IReadOnlyList<string>? Ports { get; init; }

    public IReadOnlyList<string>? NotPorts { get; init; }

    public IReadOnlyList<string>? Methods { get; init; }

    public IReadOnlyList<string>? NotMethods { get; init; }

    public IReadOnlyList<string>? Paths { get; init; }

    public IReadOnlyList<string>? NotPaths { get; init; }
}

/// <summary><c>when[]</c>: a key with values and/or notValues.</summary>
public sealed record AuthorizationCondition
{
    public string Key { get; init; } = "";

    public IReadOnlyList<string> Values { get; init; } = [];

    public IReadOnlyList<string> NotValues { get; init; } = [];
}
