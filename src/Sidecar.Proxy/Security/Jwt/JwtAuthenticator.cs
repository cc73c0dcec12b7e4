using Microsoft.AspNetCore.Http;
using Sidecar.Model;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>What JWT authentication decided about a request.</summary>
/// <param name="Identity">The verified token's identity; null when the request carried no token.</param>
/// <param name="Failure">Envoy's reason a carried token was refused (the 401 body); null when it was not.</param>
internal readonly record struct JwtOutcome(JwtIdentity? Identity, string? Failure)
{
    public static readonly JwtOutcome NoToken = default;
}

/// <summary>
/// The inbound JWT check istiod configures from RequestAuthentication (Envoy's <c>jwt_authn</c> with
/// <c>requires_any</c> over every provider plus <c>allow_missing</c>): a request with no token passes without a
/// request principal; a token is verified by the provider of its issuer; a token that fails (bad signature,
/// expired, wrong audience, unknown issuer) is refused with 401 before AuthorizationPolicy runs.
/// </summary>
internal sealed class JwtAuthenticator
{
    private readonly JwtProvider[] _providers;

    public JwtAuthenticator(EquatableArray<JwtRuleConfig> rules, JwksCache jwks)
    {
        _providers = rules.Select(rule => new JwtProvider(rule, jwks)).ToArray();
    }

    public async ValueTask<JwtOutcome> AuthenticateAsync(HttpRequest request)
    {
        string? failure = null;
        foreach (var provider in _providers)
        {
            var (token, location) = provider.Extract(request);
            if (token is null)
            {
                continue;
            }

            if (ParsedJwt.Parse(token, out var malformed) is not { } jwt)
            {
                failure ??= malformed;
                continue;
            }

            // A rule without an issuer takes a token from any issuer its keys verify (Envoy does not check iss then).
            if (provider.Config.Issuer.Length > 0 && !string.Equals(jwt.Issuer, provider.Config.Issuer, StringComparison.Ordinal))
            {
                // Another provider may own this issuer; if none does, Envoy's answer is this one.
                failure ??= "Jwt issuer is not configured";
                continue;
            }

            var (identity, error) = await provider.VerifyAsync(jwt).ConfigureAwait(false);
            if (identity is not null)
            {
                provider.ApplyOutputs(request, jwt, identity, location);
                return new JwtOutcome(identity, null);
            }

            failure = error;
        }

        return failure is null ? JwtOutcome.NoToken : new JwtOutcome(null, failure);
    }
}
