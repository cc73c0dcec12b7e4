using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Security;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Security;

/// <summary>
/// The JWT rules of the RequestAuthentications that apply to this workload (selected as AuthorizationPolicies are),
/// merged as istiod merges them into one <c>jwt_authn</c> filter: a token from any configured issuer is verified, a
/// request without a token passes (AuthorizationPolicy decides whether that is enough).
/// </summary>
internal static class RequestAuthenticationTranslator
{
    /// <summary>The claims Istio always has Envoy split at spaces (<c>normalize_payload_in_metadata</c>).</summary>
    private static readonly string[] DefaultSpaceDelimitedClaims = ["scope", "permission"];

    public static List<JwtRuleConfig> Translate(PushContext push)
    {
        var result = new List<JwtRuleConfig>();
        foreach (var resource in push.Resources.Where(r => r.Kind == ResourceKind.RequestAuthentication).OrderBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            var spec = (RequestAuthenticationSpec)resource.Spec;
            if (spec.TargetRefs.Count > 0)
            {
                push.Warn(resource, "RequestAuthentication targetRefs bind to gateways and waypoints; a sidecar ignores this policy");
                continue;
            }

            if (!AuthorizationPolicyTranslator.AppliesTo(push, resource.Namespace, spec.Selector))
            {
                continue;
            }

            foreach (var rule in spec.JwtRules)
            {
                result.Add(new JwtRuleConfig
                {
                    Issuer = rule.Issuer,
                    Audiences = rule.Audiences.ToEquatableArray(),
                    Jwks = string.IsNullOrEmpty(rule.Jwks) ? null : rule.Jwks,
                    JwksUri = string.IsNullOrEmpty(rule.JwksUri) ? null : rule.JwksUri,
                    JwksFetchTimeout = rule.Timeout is { Nanoseconds: > 0 } timeout ? timeout.ToTimeSpan() : TimeSpan.FromSeconds(5),
                    FromHeaders = rule.FromHeaders.Select(h => new JwtHeaderLocationConfig(h.Name.ToLowerInvariant(), h.Prefix)).ToEquatableArray(),
                    FromParams = rule.FromParams.ToEquatableArray(),
                    FromCookies = rule.FromCookies.ToEquatableArray(),
                    ForwardOriginalToken = rule.ForwardOriginalToken,
                    OutputPayloadToHeader = string.IsNullOrEmpty(rule.OutputPayloadToHeader) ? null : rule.OutputPayloadToHeader,
                    OutputClaimToHeaders = rule.OutputClaimToHeaders.Select(c => new JwtClaimToHeaderConfig(c.Header, c.Claim)).ToEquatableArray(),
                    SpaceDelimitedClaims = DefaultSpaceDelimitedClaims.Concat(rule.SpaceDelimitedClaims).Distinct(StringComparer.Ordinal).ToEquatableArray(),
                    Origin = resource.Id,
                });
            }
        }

        return result;
    }
}
