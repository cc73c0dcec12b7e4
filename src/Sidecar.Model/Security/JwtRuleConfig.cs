namespace Sidecar.Model;

/// <summary>
/// One JWT issuer a workload accepts (Istio's RequestAuthentication <c>jwtRules[]</c>, Envoy's <c>jwt_authn</c>
/// provider): the issuer and audiences a token must carry, where the signing keys are (inline JWKS or a URI the proxy
/// fetches), where the token is looked for, and what is passed on to the app after it is verified.
/// </summary>
public sealed record JwtRuleConfig
{
    /// <summary>Empty: the token's own <c>iss</c> is not checked (a rule with only a <c>jwksUri</c>, Istio 1.27+).</summary>
    public required string Issuer { get; init; }

    /// <summary>Empty: any audience.</summary>
    public EquatableArray<string> Audiences { get; init; }

    /// <summary>An inline JSON Web Key Set; takes precedence over <see cref="JwksUri"/>.</summary>
    public string? Jwks { get; init; }

    public string? JwksUri { get; init; }

    /// <summary>How long a fetch of <see cref="JwksUri"/> may take.</summary>
    public TimeSpan JwksFetchTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Headers holding the token after a prefix; with no header, parameter or cookie given, Istio's default
    /// (<c>Authorization: Bearer</c> and the <c>access_token</c> query parameter).</summary>
    public EquatableArray<JwtHeaderLocationConfig> FromHeaders { get; init; }

    public EquatableArray<string> FromParams { get; init; }

    public EquatableArray<string> FromCookies { get; init; }

    /// <summary>Keep the token on the forwarded request; otherwise the header that carried it is removed.</summary>
    public bool ForwardOriginalToken { get; init; }

    /// <summary>A header that receives the verified payload, base64url-encoded.</summary>
    public string? OutputPayloadToHeader { get; init; }

    public EquatableArray<JwtClaimToHeaderConfig> OutputClaimToHeaders { get; init; }

    /// <summary>Top-level claims whose string value is a space-separated list when matched (Envoy's
    /// <c>normalize_payload_in_metadata.space_delimited_claims</c>).</summary>
    public EquatableArray<string> SpaceDelimitedClaims { get; init; }

    /// <summary>The resource the rule came from (<c>RequestAuthentication ns/name</c>), for logs.</summary>
    public string? Origin { get; init; }
}

/// <summary>A header carrying a token after <see cref="Prefix"/> (e.g. <c>Bearer </c>).</summary>
public sealed record JwtHeaderLocationConfig(string Name, string Prefix);

/// <summary>Copies a verified claim into a request header.</summary>
public sealed record JwtClaimToHeaderConfig(string Header, string Claim);
