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
    /// <summary>Applies the filters; false when the request is denied (the router answers it, as Envoy's RBAC filter does, with 403).</summary>
    public static bool Apply(HttpContext context, ProxyConnection connection, AuthorizationEngine authorization, Jwt.JwtIdentity? jwt)
    {
        var peer = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(MutualTlsPeer.Key, out var item) == true ? item as MutualTlsPeer : null;
        if (authorization.HasPolicies)
        {
            var port = connection.OriginalDestination?.Endpoint.Port ?? context.Connection.LocalPort;
            var request = new AuthorizationRequest(connection.PeerPrincipal, context.Connection.RemoteIpAddress, port, context.Request, jwt);
            if (!authorization.Evaluate(request).Allowed)
            {
                return false;
            }
        }

        if (connection.HttpChain?.ForwardClientCertDetails == true)
        {
            ForwardedClientCert.AppendForward(context.Request.Headers, peer);
        }

        return true;
    }
}
