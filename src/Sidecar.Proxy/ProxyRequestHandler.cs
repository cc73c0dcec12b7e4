using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Admin;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy;

/// <summary>
/// The terminal request delegate: requests on data connections go to the router with the route table their
/// listener selects; requests on Kestrel's own endpoints go to the admin handler.
/// </summary>
internal sealed class ProxyRequestHandler
{
    private readonly DataPlane _dataPlane;
    private readonly Router _router;
    private readonly AdminHandler _admin;

    public ProxyRequestHandler(DataPlane dataPlane, Router router, AdminHandler admin)
    {
        _dataPlane = dataPlane;
        _router = router;
        _admin = admin;
    }

    public Task HandleAsync(HttpContext context)
    {
        var connection = ProxyConnection.From(context);
        if (connection is null)
        {
            return _admin.HandleAsync(context);
        }

        var snapshot = _dataPlane.Current;
        if (snapshot is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers[ProxyHeaders.ResponseFlags] = "UH";
            return context.Response.Body.WriteAsync(LocalReply.NotReady, 0, LocalReply.NotReady.Length);
        }

        if (connection.Direction == RequestDirection.Inbound && snapshot.Jwt is { } jwt)
        {
            return HandleAuthenticatedAsync(context, connection, snapshot, jwt);
        }

        // A request AuthorizationPolicy denies is still a request: the router answers it (403) so it is counted,
        // logged and traced like any other, as Istio reports RBAC denials.
        var denied = connection.Direction == RequestDirection.Inbound && !Security.InboundRequestSecurity.Apply(context, connection, snapshot.Authorization, null);
        return _router.HandleAsync(context, denied ? null : SelectRouteTable(snapshot, connection, context.Request), connection.Direction, denied);
    }

    /// <summary>Istio's inbound order with RequestAuthentication: JWT (401 on a bad token), then RBAC, then the router.</summary>
    private async Task HandleAuthenticatedAsync(HttpContext context, ProxyConnection connection, DataPlaneSnapshot snapshot, Security.Jwt.JwtAuthenticator jwt)
    {
        var outcome = await jwt.AuthenticateAsync(context.Request).ConfigureAwait(false);
        if (outcome.Failure is { } failure)
        {
            await _router.HandleAsync(context, null, connection.Direction, jwtFailure: failure).ConfigureAwait(false);
            return;
        }

        var denied = !Security.InboundRequestSecurity.Apply(context, connection, snapshot.Authorization, outcome.Identity);
        await _router.HandleAsync(context, denied ? null : SelectRouteTable(snapshot, connection, context.Request), connection.Direction, denied).ConfigureAwait(false);
    }

    /// <summary>Which route table a request is looked up in, by how it arrived.</summary>
    private static RouteTable? SelectRouteTable(DataPlaneSnapshot snapshot, ProxyConnection connection, HttpRequest request)
    {
        if (connection.HttpChain is { } chain)
        {
            return snapshot.FindRouteTable(chain.RouteTableName);
        }

        return connection.Listener.Kind switch
        {
            ListenerKind.OutboundCapture => snapshot.OutboundTableFor(request.Host.Value ?? ""),
            _ => null,
        };
    }
}
