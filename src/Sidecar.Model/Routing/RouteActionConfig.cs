namespace Sidecar.Model;

/// <summary>
/// An Envoy <c>RouteAction</c>: which cluster(s) to forward to and the per-route policies (timeout, retries,
/// hashing, rewrites, mirrors).
/// </summary>
public sealed record RouteActionConfig
{
    /// <summary>One entry forwards to a single cluster; several split traffic by weight (weights need not sum to 100).</summary>
    public EquatableArray<WeightedClusterConfig> Clusters { get; init; }

    /// <summary>The whole-request timeout (Envoy's <c>route.timeout</c>); null disables it (Istio's default, <c>0s</c>).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The retry policy; null means no retries.</summary>
    public RetryPolicyConfig? Retry { get; init; }

    /// <summary>Hash inputs for RING_HASH/MAGLEV clusters (Envoy's <c>hash_policy</c>).</summary>
    public EquatableArray<HashPolicyConfig> HashPolicy { get; init; }

    /// <summary>Replaces the matched path prefix (Istio's <c>rewrite.uri</c>; for an exact match, the whole path).</summary>
    public string? PrefixRewrite { get; init; }

    /// <summary>Rewrites the path by regex (Istio's <c>rewrite.uriRegexRewrite</c>).</summary>
    public RegexRewriteConfig? RegexRewrite { get; init; }

    /// <summary>Replaces the authority (Istio's <c>rewrite.authority</c>, Envoy's <c>host_rewrite_literal</c>).</summary>
    public string? HostRewrite { get; init; }

    /// <summary>Shadow copies of the request (Istio's <c>mirror</c>/<c>mirrors</c>); responses are discarded.</summary>
    public EquatableArray<MirrorPolicyConfig> Mirrors { get; init; }

    /// <summary>The status when the chosen cluster does not exist (Envoy's <c>cluster_not_found_response_code</c>):
    /// 503, or 500 on routes converted from Gateway API, as the Gateway API requires for a missing backend.</summary>
    public int ClusterNotFoundStatus { get; init; } = 503;

    /// <summary>Whether WebSocket upgrades are forwarded (Istio enables them on every route).</summary>
    public bool AllowUpgrades { get; init; } = true;
}

/// <summary>One destination of a route with its share of traffic and destination-level header policy.</summary>
public sealed record WeightedClusterConfig
{
    public required string Cluster { get; init; }

    public int Weight { get; init; } = 100;

    public HeaderMutationConfig RequestHeaders { get; init; } = HeaderMutationConfig.None;

    public HeaderMutationConfig ResponseHeaders { get; init; } = HeaderMutationConfig.None;
}

/// <summary>Envoy's <c>regex_rewrite</c>: RE2 pattern and substitution (<c>\1</c> style groups).</summary>
public sealed record RegexRewriteConfig(string Pattern, string Substitution);

/// <summary>Envoy's <c>request_mirror_policies</c> entry.</summary>
/// <param name="Cluster">The shadow cluster.</param>
/// <param name="Fraction">The share of requests mirrored; Istio's default is 100%.</param>
public sealed record MirrorPolicyConfig(string Cluster, Percentage Fraction);

/// <summary>What a hash policy hashes.</summary>
public enum HashPolicyKind
{
    Header,
    Cookie,
    SourceIp,
    QueryParameter,
}

/// <summary>One entry of Envoy's route <c>hash_policy</c>, from Istio's <c>consistentHash</c>.</summary>
public sealed record HashPolicyConfig
{
    public required HashPolicyKind Kind { get; init; }

    /// <summary>Header, cookie or query parameter name; null for <see cref="HashPolicyKind.SourceIp"/>.</summary>
    public string? Name { get; init; }

    /// <summary>For cookies: when set and the cookie is absent, Envoy generates it with this TTL.</summary>
    public TimeSpan? CookieTtl { get; init; }

    public string? CookiePath { get; init; }
}
