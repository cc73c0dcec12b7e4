namespace Sidecar.Istio.Resources.Security;

/// <summary>Istio's <c>RequestAuthentication</c> spec (security.istio.io): the JWTs a workload accepts.</summary>
public sealed record RequestAuthenticationSpec : IstioSpec
{
    /// <summary><c>selector.matchLabels</c>; null for a namespace- or mesh-wide policy.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    /// <summary><c>targetRef</c>/<c>targetRefs</c>: gateways and waypoints, which a sidecar ignores.</summary>
    public IReadOnlyList<PolicyTargetReference> TargetRefs { get; init; } = [];

    public IReadOnlyList<JwtRule> JwtRules { get; init; } = [];
}

/// <summary>One <c>jwtRules[]</c> entry: an issuer, where its keys are, where its token is and what to pass on.</summary>
public sealed record JwtRule
{
    public string Issuer { get; init; } = "";

    public IReadOnlyList<string> Audiences { get; init; } = [];

    public string? JwksUri { get; init; }

    /// <summary>An inline JSON Web Key Set.</summary>
    public string? Jwks { get; init; }

    public IReadOnlyList<JwtHeader> FromHeaders { get; init; } = [];

    public IReadOnlyList<string> FromParams { get; init; } = [];

    public IReadOnlyList<string> FromCookies { get; init; } = [];

    public string? OutputPayloadToHeader { get; init; }

    public bool ForwardOriginalToken { get; init; }

    public IReadOnlyList<ClaimToHeader> OutputClaimToHeaders { get; init; } = [];

    /// <summary><c>timeout</c> for fetching <c>jwksUri</c>.</summary>
    public IstioDuration? Timeout { get; init; }

    /// <summary>Claims split at spaces for matching, besides Istio's own <c>scope</c> and <c>permission</c> (Istio 1.28+).</summary>
    public IReadOnlyList<string> SpaceDelimitedClaims { get; init; } = [];
}

/// <summary><c>fromHeaders[]</c>: a header carrying the token, after an optional prefix (e.g. <c>Bearer </c>).</summary>
public sealed record JwtHeader(string Name, string Prefix);

/// <summary><c>outputClaimToHeaders[]</c>: copy a claim's value into a request header.</summary>
public sealed record ClaimToHeader(string Header, string Claim);
