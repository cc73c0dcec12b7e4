using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Security.Authorization;

namespace Sidecar.Proxy.Security;

/// <summary>
/// The inbound HTTP filters that depend on the peer (Istio's inbound chain order: JWT, RBAC, then the router):
/// AuthorizationPolicy enforcement, and <c>x-forwarded-client-cert</c> (APPEND_FORWARD) toward the app.
/// </summary>
internal static class InboundRequestSecurity
{
    /// <summary>Whether a CUSTOM policy matches the request, so the external authorization service must allow it first.</summary>
    public static bool NeedsExternalCheck(HttpContext context, ProxyConnection connection, AuthorizationEngine authorization, Jwt.JwtIdentity? jwt) =>
        authorization.HasCustom && authorization.MatchesCustom(Request(context, connection, jwt));

    /// <summary>
    /// An allowed check's headers: removals first, then the service's headers replace the request's own (so the app
    /// sees them) or are appended to them; the ones for the client are added to the response.
    /// </summary>
    public static void ApplyExternalHeaders(HttpContext context, ExtAuthzDecision decision)
    {
        var headers = context.Request.Headers;
        foreach (var name in decision.UpstreamRemovedHeaders)
        {
            // Envoy never removes the pseudo-headers or Host: the request would be malformed.
            if (!name.StartsWith(':') && !name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                headers.Remove(name);
            }
        }

        foreach (var group in decision.UpstreamHeaders.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            headers[group.Key] = group.Select(h => h.Value).ToArray();
        }

        foreach (var (name, value) in decision.UpstreamAppendedHeaders)
        {
            headers.Append(name, value);
        }

        if (decision.ClientHeaders.Length > 0)
        {
            context.Response.OnStarting(() =>
            {
                foreach (var (name, value) in decision.ClientHeaders)
                {
                    context.Response.Headers.Append(name, value);
                }

                return Task.CompletedTask;
            });
        }
    }

    /// <summary>
    /// Applies the filters. Returns null when the request goes on; when AuthorizationPolicy denies it (the router
    /// answers it with 403, as Envoy's RBAC filter does), the id of the DENY rule that matched, or <c>none</c> when no
    /// ALLOW policy did (what Envoy's <c>rbac_access_denied_matched_policy[...]</c> detail names).
    /// </summary>
    public static string? Apply(HttpContext context, ProxyConnection connection, AuthorizationEngine authorization, Jwt.JwtIdentity? jwt)
    {
        var peer = context.Features.Fetch<IConnectionItemsFeature>()?.Items.TryGetValue(MutualTlsPeer.Key, out var item) == true ? item as MutualTlsPeer : null;
        if (authorization.HasPolicies)
        {
            var decision = authorization.Evaluate(Request(context, connection, jwt));
            if (!decision.Allowed)
            {
                return decision.MatchedPolicyId ?? "none";
            }
        }

        if (connection.HttpChain?.ForwardClientCertDetails == true)
        {
            ForwardedClientCert.AppendForward(context.Request.Headers, peer);
        }

        return null;
    }

    private static AuthorizationRequest Request(HttpContext context, ProxyConnection connection, Jwt.JwtIdentity? jwt) =>
        new(connection.PeerPrincipal, context.Connection.RemoteIpAddress, connection.OriginalDestination?.Endpoint.Port ?? context.Connection.LocalPort, context.Request, jwt,
            connection.OriginalDestination?.Endpoint.Address ?? context.Connection.LocalIpAddress, connection.ServerName);
}
