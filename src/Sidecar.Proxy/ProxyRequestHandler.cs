using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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
    private readonly Security.SecurityDecisionLog _securityLog;
    private readonly DataPlane _dataPlane;
    private readonly Router _router;
    private readonly AdminHandler _admin;
    private readonly ProxyReadiness _readiness;
    private readonly bool _acceptHttp10;

    public ProxyRequestHandler(DataPlane dataPlane, Router router, AdminHandler admin, ProxyReadiness readiness, ProxyOptions options, Microsoft.Extensions.Logging.ILoggerFactory loggers)
    {
        _securityLog = new Security.SecurityDecisionLog(loggers);
        _dataPlane = dataPlane;
        _readiness = readiness;
        _router = router;
        _admin = admin;
        _acceptHttp10 = options.AcceptHttp10;

        // The router reads the header policy once per request; a push replaces it.
        if (dataPlane.Current is { } current)
        {
            router.ProxyHeaders = current.Config.Mesh.ProxyHeaders;
        }

        dataPlane.Applied += snapshot => router.ProxyHeaders = snapshot.Config.Mesh.ProxyHeaders;
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

        // Refused before any filter runs, with no body, as Envoy's codec and connection manager refuse them: what
        // RequestChecks names, and a path that does not normalize (400).
        var refusal = RequestChecks.Refusal(context.Request, _acceptHttp10, out var details, out var codecError);
        if (refusal != 0)
        {
            context.Response.Headers.Connection = "close";
            _router.Refuse(context, connection, refusal, details, codecError);
            return Task.CompletedTask;
        }

        if (!PathNormalizer.Apply(context, snapshot.Config.Mesh.PathNormalization))
        {
            _router.Refuse(context, connection, StatusCodes.Status400BadRequest, "path_normalization_failed", codecError: false);
            return Task.CompletedTask;
        }

        if (!connection.StillAccepted(snapshot) || _readiness.IsDraining(connection.Direction))
        {
            // Envoy's drain: a push removed the plaintext chain this connection came in on (PERMISSIVE to STRICT), or
            // the sidecar is draining this side (SIGTERM drains inbound): an HTTP/1 connection closes after this
            // response, an HTTP/2 one gets a GOAWAY and closes once its open streams end, and the client's next
            // request goes on a new connection (or, after a switch to STRICT, uses mTLS).
            if (HttpProtocol.IsHttp2(context.Request.Protocol))
            {
                context.Features.Fetch<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
            else
            {
                context.Response.Headers.Connection = "close";
            }
        }

        var arrival = ArrivalHeaders.Read(context.Request.Headers);
        if (arrival.InvalidValue)
        {
            return RefuseInvalidHeaderValue(context, connection);
        }

        if (arrival.EnvoyInternalOnly && !InternalRequests.IsInternal(arrival.ForwardedFor))
        {
            // Envoy's cleanInternalHeaders: a request that is not internal loses the x-envoy-* headers only an
            // internal caller may send, before the router could read them.
            InternalRequests.RemoveInternalOnlyHeaders(context.Request.Headers);
            arrival = arrival with { EnvoyInternalOnly = false, EnvoyOverrides = false };
        }

        // Istio's include_request_attempt_count: the router numbers each attempt, replacing what the caller sent.
        if (arrival.AttemptCount)
        {
            context.Request.Headers.Remove(ProxyHeaders.AttemptCount);
        }

        if (connection.Direction == RequestDirection.Outbound)
        {
            // The outbound connection manager's forward_client_cert_details sanitizes: the app's connection is not
            // mTLS, so an x-forwarded-client-cert it sent never reaches the next hop, where it would pass for a
            // verified peer. Removed here, before anything copies or logs the request's headers.
            if (arrival.ForwardedClientCert)
            {
                context.Request.Headers.Remove(Security.ForwardedClientCert.HeaderName);
            }
        }
        else if (snapshot.Jwt is not null || snapshot.Authorization.HasCustom)
        {
            return HandleInboundAsync(context, connection, snapshot, arrival);
        }

        // A request AuthorizationPolicy denies is still a request: the router answers it (403) so it is counted,
        // logged and traced like any other, as Istio reports RBAC denials.
        string? deniedBy = null;
        if (connection.Direction == RequestDirection.Inbound)
        {
            deniedBy = Security.InboundRequestSecurity.Apply(context, connection, snapshot.Authorization, null);
            if (snapshot.Authorization.HasPolicies)
            {
                _securityLog.Authorization(context, connection, deniedBy);
            }
        }

        var table = SelectRouteTable(snapshot, connection, context.Request, out var host);
        return _router.HandleAsync(context, arrival, table, connection, accessDeniedBy: deniedBy, matchedHost: host);
    }

    /// <summary>
    /// Istio's inbound filter order: JWT (401 on a bad token), the external authorization check for requests a CUSTOM
    /// policy matches (its denial is the answer), then RBAC (DENY, ALLOW), then the router.
    /// </summary>
    /// <remarks>The JWT filter and the external authorization service may add request headers: the arrival pass is made again after them.</remarks>
    private async Task HandleInboundAsync(HttpContext context, ProxyConnection connection, DataPlaneSnapshot snapshot, ArrivalHeaders arrival)
    {
        Security.Jwt.JwtIdentity? identity = null;
        if (snapshot.Jwt is { } jwt)
        {
            var outcome = await jwt.AuthenticateAsync(context.Request).ConfigureAwait(false);
            if (outcome.Identity is not null || outcome.Failure is not null)
            {
                _securityLog.Jwt(outcome.Failure);
            }

            if (outcome.Failure is { } failure)
            {
                await _router.HandleAsync(context, arrival, SelectRouteTable(snapshot, connection, context.Request, out _), connection, jwtFailure: failure).ConfigureAwait(false);
                return;
            }

            identity = outcome.Identity;
            arrival = ArrivalHeaders.Read(context.Request.Headers) with { HeaderBytes = arrival.HeaderBytes };
        }

        if (Security.InboundRequestSecurity.NeedsExternalCheck(context, connection, snapshot.Authorization, identity))
        {
            var decision = snapshot.ExtAuthz is { } client
                ? await client.CheckAsync(context, snapshot.Clusters.GetValueOrDefault(client.Config.Cluster), Random.Shared).ConfigureAwait(false)
                : Security.Authorization.ExtAuthzDecision.Deny(StatusCodes.Status403Forbidden, [], [], error: true);
            if (!decision.Allowed)
            {
                await _router.HandleAsync(context, arrival, SelectRouteTable(snapshot, connection, context.Request, out _), connection, extAuthzDenial: decision).ConfigureAwait(false);
                return;
            }

            Security.InboundRequestSecurity.ApplyExternalHeaders(context, decision);
            arrival = ArrivalHeaders.Read(context.Request.Headers) with { HeaderBytes = arrival.HeaderBytes };
        }

        var deniedBy = Security.InboundRequestSecurity.Apply(context, connection, snapshot.Authorization, identity);
        if (snapshot.Authorization.HasPolicies)
        {
            _securityLog.Authorization(context, connection, deniedBy);
        }

        await _router.HandleAsync(context, arrival, SelectRouteTable(snapshot, connection, context.Request, out _), connection, deniedBy).ConfigureAwait(false);
    }

    /// <summary>
    /// Which route table a request is looked up in, by how it arrived; <paramref name="host"/>: its virtual host when
    /// choosing the table already matched it.
    /// </summary>
    private static RouteTable? SelectRouteTable(DataPlaneSnapshot snapshot, ProxyConnection connection, HttpRequest request, out VirtualHost? host)
    {
        host = null;
        if (connection.HttpChain is { } chain)
        {
            return snapshot.FindRouteTable(chain.RouteTableName);
        }

        return connection.Listener.Kind == ListenerKind.OutboundCapture ? snapshot.OutboundTableFor(RequestView.AuthorityOf(request), out host) : null;
    }

    /// <summary>
    /// A header value with a control character other than tab: Envoy's HTTP/1 codec answers 400 and closes the
    /// connection (<c>http1.invalid_characters</c>; Kestrel refuses only NUL). Over HTTP/2 the request is malformed
    /// (RFC 9113 8.2.1) and its stream is reset with PROTOCOL_ERROR; Envoy, with Istio's defaults
    /// (<c>stream_error_on_invalid_http_messaging</c> off), closes the whole connection instead. Kestrel's HPACK
    /// decoder refuses only CR and LF.
    /// </summary>
    private Task RefuseInvalidHeaderValue(HttpContext context, ProxyConnection connection)
    {
        if (context.Features.Get<IHttpResetFeature>() is { } reset && (HttpProtocol.IsHttp2(context.Request.Protocol) || HttpProtocol.IsHttp3(context.Request.Protocol)))
        {
            reset.Reset(errorCode: 1);
            return Task.CompletedTask;
        }

        context.Response.Headers.Connection = "close";
        _router.Refuse(context, connection, StatusCodes.Status400BadRequest, "http1.invalid_characters", codecError: true);
        return Task.CompletedTask;
    }
}
