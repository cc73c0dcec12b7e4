using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Sidecar.Model;

namespace Sidecar.Xds.Translation;

/// <summary>
/// Envoy's <c>jwt_authn</c> filter as istiod writes it from RequestAuthentications, read back into the model's JWT
/// rules: each provider's issuer, audiences, keys (inline JWKS or the <c>jwks_uri</c> fetched), token locations and
/// outputs. istiod's requirement is always "any provider, or no token" (a request without a token passes, one with a
/// bad token is refused with 401); that is the model's meaning, so another requirement is warned about.
/// </summary>
internal static class JwtTranslator
{
    public static void Add(JwtAuthentication authentication, Dictionary<string, JwtRuleConfig> rules, TranslationErrors errors, string resource, string field)
    {
        foreach (var (name, provider) in authentication.Providers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var at = $"{field}.providers[{name}]";
            var rule = new JwtRuleConfig
            {
                Issuer = provider.Issuer,
                Audiences = provider.Audiences.ToEquatableArray(),
                Jwks = provider.JwksSourceSpecifierCase == JwtProvider.JwksSourceSpecifierOneofCase.LocalJwks ? provider.LocalJwks.InlineString : null,
                JwksUri = provider.JwksSourceSpecifierCase == JwtProvider.JwksSourceSpecifierOneofCase.RemoteJwks ? provider.RemoteJwks.HttpUri?.Uri : null,
                JwksFetchTimeout = XdsValues.Duration(provider.RemoteJwks?.HttpUri?.Timeout) ?? TimeSpan.FromSeconds(5),
                FromHeaders = provider.FromHeaders.Select(h => new JwtHeaderLocationConfig(h.Name, h.ValuePrefix)).ToEquatableArray(),
                FromParams = provider.FromParams.ToEquatableArray(),
                FromCookies = provider.FromCookies.ToEquatableArray(),
                ForwardOriginalToken = provider.Forward,
                OutputPayloadToHeader = provider.ForwardPayloadHeader is { Length: > 0 } header ? header : null,
                OutputClaimToHeaders = provider.ClaimToHeaders.Select(c => new JwtClaimToHeaderConfig(c.HeaderName, c.ClaimName)).ToEquatableArray(),
                SpaceDelimitedClaims = (provider.NormalizePayloadInMetadata?.SpaceDelimitedClaims ?? []).ToEquatableArray(),
                Origin = $"jwt_authn provider {name}",
            };
            if (rule.Jwks is null && rule.JwksUri is null)
            {
                errors.Add(resource, at, "a provider needs local_jwks (inline) or remote_jwks");
                continue;
            }

            rules.TryAdd($"{rule.Issuer}|{rule.JwksUri}|{rule.Jwks}", rule);
        }

        for (var i = 0; i < authentication.Rules.Count; i++)
        {
            if (!AllowsMissing(authentication.Rules[i].Requires))
            {
                errors.Warn(resource, $"{field}.rules[{i}]", "a requirement other than istiod's (any provider, or no token) is read as istiod's: a request without a token passes");
            }
        }
    }

    private static bool AllowsMissing(JwtRequirement? requirement) => requirement?.RequiresTypeCase switch
    {
        JwtRequirement.RequiresTypeOneofCase.AllowMissing or JwtRequirement.RequiresTypeOneofCase.AllowMissingOrFailed => true,
        JwtRequirement.RequiresTypeOneofCase.RequiresAny => requirement.RequiresAny.Requirements.Any(AllowsMissing),
        _ => false,
    };
}
