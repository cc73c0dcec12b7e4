namespace Sidecar.Model;

/// <summary>
/// Envoy's route <c>CorsPolicy</c> (the <c>envoy.filters.http.cors</c> per-route config), from Istio's
/// <c>corsPolicy</c> as istiod's <c>TranslateCORSPolicy</c> writes it: lists joined with commas, <c>maxAge</c> in
/// whole seconds, <c>unmatchedPreflights: IGNORE</c> as <c>forward_not_matching_preflights: false</c>.
/// </summary>
public sealed record CorsPolicyConfig
{
    /// <summary><c>allow_origin_string_match</c>: an origin is allowed when one matches it (or matches <c>*</c>).</summary>
    public EquatableArray<StringMatcherConfig> AllowOrigins { get; init; }

    /// <summary><c>allow_methods</c>, comma-joined; <c>*</c> echoes the preflight's requested method.</summary>
    public string AllowMethods { get; init; } = "";

    /// <summary><c>allow_headers</c>, comma-joined; <c>*</c> echoes the preflight's requested headers.</summary>
    public string AllowHeaders { get; init; } = "";

    /// <summary><c>expose_headers</c>, comma-joined; sent on the responses to allowed cross-origin requests.</summary>
    public string ExposeHeaders { get; init; } = "";

    /// <summary><c>max_age</c> in seconds, as text; empty: not sent.</summary>
    public string MaxAge { get; init; } = "";

    public bool AllowCredentials { get; init; }

    /// <summary>Whether a preflight from an origin that is not allowed goes on to the upstream (Envoy's default) or is answered here.</summary>
    public bool ForwardNotMatchingPreflights { get; init; } = true;
}
