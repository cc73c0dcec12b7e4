using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
using Sidecar.Model;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Routing;
using Sidecar.Proxy.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The HTTP hot path (Envoy's router filter with the fault filter in front), for one request already assigned a
/// route table by its listener.
/// </summary>
/// <remarks>
/// <code>
///   match virtual host (authority) -> match route     none: 404 NR
///   direct response | redirect                        written here
///   fault: delay (DI), then abort (FI)
///   CORS: preflight answered here; an allowed origin is echoed on the response
///   pick weighted cluster                             missing: 503 NC
///   circuit breaker                                   overflow: 503 UO
///   retry loop {
///     pick endpoint (LB, previous-hosts)              none: 503 UH
///     forward (YARP IHttpForwarder)                   per-try timeout, route deadline
///     retriable response? -> discarded by the transformer, backoff, next attempt
///     failure (UF/UC/UR/UT)? -> retriable: backoff, next attempt; else local reply (+URX when retries ran out)
///   }
///   mirrors (fire-and-forget)
/// </code>
/// Errors are values, mapped to Envoy's status and flag in one place (<see cref="WriteFailureAsync"/>).
/// </remarks>
internal sealed partial class Router
{
    /// <summary>Envoy's default retry/shadow buffer: a body larger than this is neither retried nor mirrored.</summary>
    public const int DefaultReplayBufferLimit = 1024 * 1024;

    private readonly IHttpForwarder _forwarder;
    private readonly RoutePolicies _policies;
    private readonly MirrorSender _mirrors;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ObjectPool<RequestState> _states;
    private readonly ILogger<Router> _logger;
    private readonly int _replayBufferLimit;
    private Telemetry.IRequestTelemetry? _telemetry;

    public Router(IHttpForwarder forwarder, MirrorSender mirrors, TimeProvider time, Random random, ILogger<Router> logger, int replayBufferLimit = DefaultReplayBufferLimit)
    {
        _forwarder = forwarder;
        _mirrors = mirrors;
        _time = time;
        _random = random;
        _logger = logger;
        _replayBufferLimit = replayBufferLimit;
        _policies = new RoutePolicies(time);
        _states = new DefaultObjectPool<RequestState>(new DefaultPooledObjectPolicy<RequestState>(), 1024);
    }

    private ProxyHeadersConfig _proxyHeaders = ProxyHeadersConfig.Default;

    /// <summary>Which of its own headers the proxy adds: the mesh config's <c>defaultConfig.proxyHeaders</c>, set on each push.</summary>
    public ProxyHeadersConfig ProxyHeaders
    {
        get => Volatile.Read(ref _proxyHeaders);
        set => Volatile.Write(ref _proxyHeaders, value);
    }

    /// <summary>Metrics, tracing, access log and peer metadata exchange hooks; null: telemetry off.</summary>
    public Telemetry.IRequestTelemetry? Telemetry
    {
        get => _telemetry;
        set
        {
            _telemetry = value;
            _policies.Telemetry = value;
        }
    }

    /// <summary>
    /// Answers a request Envoy's codec or connection manager refuses before any filter runs (no route, no metrics)
    /// with <paramref name="status"/> and no body, and logs it as Envoy's connection manager does: with
    /// <paramref name="details"/> as <c>%RESPONSE_CODE_DETAILS%</c> and, for a codec error, flag DPE.
    /// </summary>
    public void Refuse(HttpContext context, ProxyConnection connection, int status, string details, bool codecError)
    {
        context.Response.StatusCode = status;
        if (_telemetry is not { } telemetry)
        {
            return;
        }

        var state = _states.Get();
        state.Begin(context, connection.Direction, _time, connection);
        state.Flags = codecError ? ResponseFlags.DownstreamProtocolError : ResponseFlags.None;
        state.RefusalDetails = details;
        telemetry.OnRequestRefused(context, state);
        _states.Return(state);
    }

    /// <summary>Routes <paramref name="context"/> through <paramref name="table"/> (null: nothing configured for it);
    /// <paramref name="arrival"/>: the pass over its headers made after the last filter that may add one.</summary>
    /// <remarks><paramref name="jwtFailure"/>: RequestAuthentication refused the request's token (401, Envoy's <c>jwt_authn</c>);
    /// <paramref name="accessDeniedBy"/>: AuthorizationPolicy denied it (403, Envoy's RBAC filter), by this matched rule (or <c>none</c>);
    /// <paramref name="extAuthzDenial"/>: the external authorization service of a CUSTOM policy refused it;
    /// <paramref name="matchedHost"/>: the request's virtual host in <paramref name="table"/> when the caller already matched it.</remarks>
    public async Task HandleAsync(HttpContext context, ArrivalHeaders arrival, RouteTable? table, ProxyConnection connection, string? accessDeniedBy = null, string? jwtFailure = null, Security.Authorization.ExtAuthzDecision? extAuthzDenial = null, VirtualHost? matchedHost = null)
    {
        var state = _states.Get();
        state.Begin(context, connection.Direction, _time, connection);
        state.ProxyHeaders = Volatile.Read(ref _proxyHeaders);
        try
        {
            state.Arrival = arrival;
            RequestIds.Assign(state);
            _telemetry?.OnRequestStarted(context, state);
            if (jwtFailure is not null || extAuthzDenial is not null || accessDeniedBy is not null)
            {
                // Envoy resolves the route before its filters run: a filter's own reply is still logged and counted
                // under the route's cluster and service.
                SelectRoute(context, state, table, matchedHost);
            }

            if (jwtFailure is not null)
            {
                state.JwtFailure = jwtFailure;
                await LocalReply.WriteAsync(context, state, StatusCodes.Status401Unauthorized, ResponseFlags.None, System.Text.Encoding.UTF8.GetBytes(jwtFailure), grpcStatus: 16).ConfigureAwait(false);
            }
            else if (extAuthzDenial is not null)
            {
                // Envoy's ext_authz: the service's answer (or status_on_error), flag UAEX.
                state.ExtAuthzDenial = extAuthzDenial;
                await LocalReply.WriteAsync(context, state, extAuthzDenial.Status, ResponseFlags.UnauthorizedExternalService, extAuthzDenial.Body).ConfigureAwait(false);
            }
            else if (accessDeniedBy is not null)
            {
                // Envoy's RBAC filter: 403 (gRPC: PERMISSION_DENIED), no response flag.
                state.AccessDeniedBy = accessDeniedBy;
                await LocalReply.WriteAsync(context, state, StatusCodes.Status403Forbidden, ResponseFlags.None, LocalReply.RbacAccessDenied, grpcStatus: 7).ConfigureAwait(false);
            }
            else
            {
                // Envoy's grpc_web filter runs after the authorization filters, before fault, CORS and the router.
                if (connection.HttpChain is { GrpcWeb: true })
                {
                    GrpcWeb.Begin(context, state);
                }

                await RouteAsync(context, state, table, matchedHost).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            state.Flags |= DownstreamGone(state);
        }
        finally
        {
            _telemetry?.OnRequestCompleted(context, state);
            _states.Return(state);
        }
    }

    /// <summary>Why the client's request ended: an HTTP/2 stream reset on a connection still open (DR), else the
    /// connection's end (DC).</summary>
    private static ResponseFlags DownstreamGone(RequestState state) =>
        state.Connection?.Input is { Ended: false } ? ResponseFlags.DownstreamRemoteReset : ResponseFlags.DownstreamConnectionTermination;

    /// <summary>
    /// Matches the route and runs its policies. A route that only forwards (<see cref="Route.ForwardOnly"/>: most
    /// routes) goes straight to <see cref="ForwardToClusterAsync"/> without a state machine of its own, one fewer
    /// await per request.
    /// </summary>
    private ValueTask RouteAsync(HttpContext context, RequestState state, RouteTable? table, VirtualHost? matchedHost)
    {
        if (MatchRoute(context, state, table, matchedHost) is not { } route)
        {
            return new ValueTask(LocalReply.WriteAsync(context, state, StatusCodes.Status404NotFound, ResponseFlags.NoRouteFound, null));
        }

        if (route.ForwardOnly)
        {
            return ForwardToClusterAsync(context, state, route.Action!);
        }

        return ApplyRoutePoliciesAsync(context, state, route);
    }

    /// <summary>The request's virtual host and route, recorded on its state; null when no route matches (NR).</summary>
    private static Route? MatchRoute(HttpContext context, RequestState state, RouteTable? table, VirtualHost? matchedHost)
    {
        var view = new RequestView(context.Request, state);
        var host = matchedHost ?? table?.Match(view.Authority);
        if (host?.Match(view) is not { } route)
        {
            return null;
        }

        state.VirtualHost = host;
        state.Route = route;
        return route;
    }

    /// <summary>The route and cluster a request would take, recorded without forwarding it.</summary>
    private void SelectRoute(HttpContext context, RequestState state, RouteTable? table, VirtualHost? matchedHost)
    {
        if (MatchRoute(context, state, table, matchedHost)?.Action is { } action)
        {
            var target = action.PickCluster(_random);
            state.Target = target;
            state.Cluster = target.Cluster;
        }
    }

    /// <summary>
    /// The route's policies around the forward: fault, CORS, direct response, redirect, then mirrors (a policy added
    /// here belongs in <see cref="Route.ForwardOnly"/> too).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ApplyRoutePoliciesAsync(HttpContext context, RequestState state, Route route)
    {
        if (route.Fault is { } fault)
        {
            if (fault.ShouldDelay(_random))
            {
                state.Flags |= ResponseFlags.DelayInjected;
                await Task.Delay(fault.Delay!.FixedDelay, _time, context.RequestAborted).ConfigureAwait(false);
            }

            if (fault.ShouldAbort(_random))
            {
                var abort = fault.Abort!;
                var status = abort.HttpStatus ?? StatusCodes.Status200OK;
                await LocalReply.WriteAsync(context, state, status, ResponseFlags.FaultInjected, LocalReply.FaultAbort, abort.GrpcStatus).ConfigureAwait(false);
                return;
            }
        }

        if (route.Cors is { } cors)
        {
            var (origin, answerPreflight) = cors.Evaluate(context.Request);
            if (origin is not null)
            {
                state.Cors = cors;
                state.CorsOrigin = origin;
            }

            if (answerPreflight)
            {
                WriteCorsPreflight(context, state, cors, origin);
                return;
            }
        }

        if (route.Config.DirectResponse is { } direct)
        {
            await WriteDirectResponseAsync(context, state, route, direct).ConfigureAwait(false);
            return;
        }

        if (route.Config.Redirect is { } redirect)
        {
            await RedirectReply.WriteAsync(context, state, route, redirect).ConfigureAwait(false);
            return;
        }

        var action = route.Action!;
        await ForwardToClusterAsync(context, state, action).ConfigureAwait(false);
        if (state.Cluster is null)
        {
            // No cluster (503 NC): Envoy mirrors only requests it routed.
            return;
        }

        foreach (var (mirror, fraction) in action.Mirrors)
        {
            if (mirror is not null && fraction.Includes(_random.Next(Percentage.Million)))
            {
                _mirrors.Send(context, state, _policies, mirror, action.Timeout, _random);
            }
        }
    }

    /// <summary>Picks the weighted cluster (none configured: 503 NC) and forwards to it.</summary>
    private ValueTask ForwardToClusterAsync(HttpContext context, RequestState state, RouteAction action)
    {
        var target = action.PickCluster(_random);
        state.Target = target;
        if (target.Cluster is not { } cluster)
        {
            return new ValueTask(LocalReply.WriteAsync(context, state, action.Config.ClusterNotFoundStatus, ResponseFlags.NoClusterFound, null));
        }

        state.Cluster = cluster;
        return ForwardAsync(context, state, action, cluster);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardAsync(HttpContext context, RequestState state, RouteAction action, ClusterState cluster)
    {
        var protocol = context.Request.Protocol;
        if (!cluster.TryAcquireRequest(protocol))
        {
            await LocalReply.WriteAsync(context, state, StatusCodes.Status503ServiceUnavailable, ResponseFlags.UpstreamOverflow, LocalReply.Overflow).ConfigureAwait(false);
            return;
        }

        try
        {
            if (state.RecordsUpstreamLocalAddress)
            {
                // Set in this async method, so it marks this request's attempts and is gone when it returns.
                UpstreamLocalAddress.Track(state);
            }

            var retry = action.Retry;
            var routeTimeout = action.Timeout;
            if (state.Direction == RequestDirection.Outbound && state.Arrival.EnvoyOverrides)
            {
                (routeTimeout, retry) = EnvoyRequestHeaders.Apply(context.Request, routeTimeout, retry);
            }

            state.RetryPolicy = retry;
            var requestTimeout = GrpcTimeout.Effective(routeTimeout, context.Request);
            if (requestTimeout is { } timeout)
            {
                state.RouteDeadline = _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
            }

            if (ExpectedTimeout.Of(requestTimeout, retry?.PerTryTimeout) is { } expected)
            {
                state.ExpectedTimeout = ExpectedTimeout.Texts(expected);
            }

            if ((retry is not null || action.Mirrors.Length > 0) && RequestBodies.MayHaveBody(context.Request))
            {
                state.ReusableBody.Attach(context.Request.Body, _replayBufferLimit);
                state.Body = state.ReusableBody;
                context.Request.Body = state.Body;
            }

            var hash = action.HashPolicy.Length > 0 ? RequestHash.Compute(action.HashPolicy, context, state) : null;
            if (cluster.FirstResolution is { IsCompleted: false } resolving)
            {
                // A DNS cluster's first lookup is still running: wait for it rather than fail the first requests.
                await resolving.WaitAsync(cluster.Config.ConnectTimeout, _time, context.RequestAborted).ConfigureAwait(false);
            }

            // One state machine for every attempt: starting and finishing one are synchronous, only the forward awaits.
            while (true)
            {
                if (StartAttempt(context, state, cluster, retry, hash, out var token) is not { } destination)
                {
                    var flags = state.Retries > 0 ? ResponseFlags.NoHealthyUpstream | ResponseFlags.UpstreamRetryLimitExceeded : ResponseFlags.NoHealthyUpstream;
                    await LocalReply.WriteAsync(context, state, StatusCodes.Status503ServiceUnavailable, flags, LocalReply.NoHealthyUpstream).ConfigureAwait(false);
                    return;
                }

                ForwarderError error;
                try
                {
                    error = await _forwarder.SendAsync(context, destination, cluster.InvokerFor(state.Connection, context.Connection), cluster.RequestConfigFor(protocol), state.TransformerFor(_policies), token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ForwardFailed(_logger, cluster.Name, ex);
                    error = ForwarderError.Request;
                }

                var outcome = FinishAttempt(context, state, cluster, retry, error, out var failure);
                if (outcome is AttemptOutcome.Failed or AttemptOutcome.RetriesExhausted)
                {
                    await WriteFailureAsync(context, state, failure, outcome == AttemptOutcome.RetriesExhausted).ConfigureAwait(false);
                    return;
                }

                if (outcome == AttemptOutcome.Done)
                {
                    return;
                }

                // A retry follows: clear what the failed attempt left on the response, rewind the body, back off.
                state.Retries++;
                try
                {
                    ResetResponse(context);
                    state.Body?.Rewind();
                    var backoff = retry!.Backoff(state.Retries, _random);
                    if (backoff > TimeSpan.Zero)
                    {
                        await Task.Delay(backoff, _time, context.RequestAborted).ConfigureAwait(false);
                    }
                }
                finally
                {
                    cluster.ReleaseRetry();
                }
            }
        }
        finally
        {
            cluster.ReleaseRequest();
        }
    }

    /// <summary>How an attempt ended, for the retry loop.</summary>
    private enum AttemptOutcome
    {
        /// <summary>The response (or a downstream failure) is final.</summary>
        Done,

        /// <summary>Another attempt follows (a retry budget was taken).</summary>
        Retry,

        /// <summary>An upstream failure to answer with a local reply.</summary>
        Failed,

        /// <summary>As <see cref="Failed"/>, after the retries ran out on a retriable failure (URX).</summary>
        RetriesExhausted,
    }

    /// <summary>
    /// Picks the attempt's endpoint (or the original destination) and its per-try token; null when no endpoint is
    /// healthy (503 UH).
    /// </summary>
    private string? StartAttempt(HttpContext context, RequestState state, ClusterState cluster, RetryPolicy? retry, ulong? hash, out CancellationToken token)
    {
        state.AttemptIsRetriable = retry is not null
            && state.Retries < retry.NumRetries
            && (state.Body is null || state.Body.CanReplay)
            && !state.RouteDeadlinePassed;
        state.RetryPending = false;
        state.ResponseFramingRefused = false;
        token = default;

        string destination;
        var endpoint = cluster.IsOriginalDestination
            ? null
            : cluster.PickEndpoint(hash, _random, state.TriedEndpoints, retry?.Config.RetryOtherHosts == true ? retry.Config.HostSelectionRetryMaxAttempts : 1, retry?.Config.RetryOtherPriorities == true);
        if (endpoint is not null)
        {
            destination = endpoint.DestinationPrefix;
            state.Endpoint = endpoint;
            state.RememberTried(endpoint);
        }
        else if (cluster.IsOriginalDestination && OriginalDestination.TryGetPrefix(context, state.Connection, out var original, out var originalHost))
        {
            destination = original;
            state.PassthroughHost = originalHost;
        }
        else
        {
            return null;
        }

        token = state.AttemptToken(retry?.PerTryTimeout);
        endpoint?.BeginRequest();
        if (state.Retries == 0)
        {
            state.UpstreamStartTimestamp = _time.GetTimestamp();
        }

        return destination;
    }

    /// <summary>Records the attempt's outcome on its endpoint and decides what follows; <paramref name="failure"/> is the upstream failure to answer.</summary>
    private static AttemptOutcome FinishAttempt(HttpContext context, RequestState state, ClusterState cluster, RetryPolicy? retry, ForwarderError error, out UpstreamFailure failure)
    {
        failure = default;
        var endpoint = state.Endpoint;
        if (state.RetryPending)
        {
            endpoint?.EndRequest(error: true, connectFailure: false);
            if (endpoint is not null)
            {
                cluster.RecordOutcome(endpoint, state.LastRetriedStatus, localOriginFailure: false);
            }

            return AttemptOutcome.Retry;
        }

        if (state.ResponseFramingRefused)
        {
            // The transformer refused the response as Envoy's codec would: the failure of a response that did not parse.
            error = ForwarderError.ResponseHeaders;
        }

        if (error == ForwarderError.None)
        {
            var status = context.Response.StatusCode;
            endpoint?.EndRequest(error: status >= 500, connectFailure: false);
            if (endpoint is not null)
            {
                cluster.RecordOutcome(endpoint, status, localOriginFailure: false);
            }

            return AttemptOutcome.Done;
        }

        if (UpstreamOutcome.IsDownstreamFailure(error, context))
        {
            endpoint?.EndRequest(error: false, connectFailure: false);
            if (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away (DC) or reset the stream (DR): no response code unless one was sent (Envoy logs 0).
                state.Flags |= DownstreamGone(state);
            }
            else
            {
                // The request body broke off or did not parse (a bad chunk): Envoy's codec answers 400 DPE.
                state.Flags |= ResponseFlags.DownstreamProtocolError;
                if (!context.Response.HasStarted)
                {
                    ResetResponse(context);
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                }
            }

            return AttemptOutcome.Done;
        }

        failure = UpstreamOutcome.Classify(error, context, state);
        // The route's own timeout ends the request (Envoy's onResponseTimeout); only a per-try timeout may be retried.
        var canRetry = state.AttemptIsRetriable && !(failure == UpstreamFailure.PerTryTimeout && !state.AttemptBoundByPerTryTimeout);
        endpoint?.EndRequest(error: true, connectFailure: failure == UpstreamFailure.ConnectFailure, timeout: failure == UpstreamFailure.PerTryTimeout);
        if (endpoint is not null)
        {
            cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
        }

        if (context.Response.HasStarted)
        {
            // The response was streaming when the upstream failed: nothing can be retried; reset downstream.
            state.Flags |= failure == UpstreamFailure.PerTryTimeout ? ResponseFlags.UpstreamRequestTimeout : ResponseFlags.UpstreamConnectionTermination;
            state.UpstreamResetAfterResponseStarted = true;
            context.Abort();
            return AttemptOutcome.Done;
        }

        if (canRetry && state.Body is not { CanReplay: false } && retry!.IsRetriableFailure(failure) && cluster.TryAcquireRetry())
        {
            return AttemptOutcome.Retry;
        }

        var exhausted = retry is not null && retry.IsRetriableFailure(failure) && state.Retries >= retry.NumRetries && state.Retries > 0;
        return exhausted ? AttemptOutcome.RetriesExhausted : AttemptOutcome.Failed;
    }

    /// <summary>The one table from an upstream failure to Envoy's local reply.</summary>
    private static Task WriteFailureAsync(HttpContext context, RequestState state, UpstreamFailure failure, bool retriesExhausted)
    {
        var retried = state.Retries > 0;
        var extra = retriesExhausted ? ResponseFlags.UpstreamRetryLimitExceeded : ResponseFlags.None;
        // Which timer ended it: the attempt's own (Envoy's onPerTryTimeout) or the route's (onResponseTimeout).
        state.PerTryTimedOut = failure == UpstreamFailure.PerTryTimeout && state.AttemptBoundByPerTryTimeout;
        return failure switch
        {
            UpstreamFailure.ConnectFailure => LocalReply.WriteAsync(context, state, StatusCodes.Status503ServiceUnavailable,
                ResponseFlags.UpstreamConnectionFailure | extra, ConnectFailureReply.Body(context, retried)),
            UpstreamFailure.PerTryTimeout => LocalReply.WriteAsync(context, state, StatusCodes.Status504GatewayTimeout,
                ResponseFlags.UpstreamRequestTimeout | extra, LocalReply.UpstreamRequestTimeout),
            UpstreamFailure.RefusedStream => LocalReply.WriteAsync(context, state, StatusCodes.Status503ServiceUnavailable,
                ResponseFlags.UpstreamRemoteReset | extra, LocalReply.RemoteRefusedStream),
            UpstreamFailure.RemoteReset => LocalReply.WriteAsync(context, state, StatusCodes.Status503ServiceUnavailable,
                ResponseFlags.UpstreamRemoteReset | extra, LocalReply.RemoteReset),
            UpstreamFailure.ProtocolError => LocalReply.WriteAsync(context, state, StatusCodes.Status502BadGateway,
                ResponseFlags.UpstreamProtocolError | extra, LocalReply.ProtocolError),
            _ => LocalReply.WriteAsync(context, state, StatusCodes.Status503ServiceUnavailable,
                ResponseFlags.UpstreamConnectionTermination | extra, retried ? LocalReply.ConnectionTerminationRetried : LocalReply.ConnectionTermination),
        };
    }

    /// <summary>The CORS filter's own reply to a preflight: 200, no body, not forwarded.</summary>
    private static void WriteCorsPreflight(HttpContext context, RequestState state, CorsPolicy cors, string? allowedOrigin)
    {
        state.CorsPreflight = true;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        state.WriteServerHeader(response.Headers);
        cors.WritePreflightHeaders(context.Request, allowedOrigin, response.Headers);
        response.ContentLength = 0;
    }

    private static Task WriteDirectResponseAsync(HttpContext context, RequestState state, Route route, DirectResponseConfig direct)
    {
        var response = context.Response;
        response.StatusCode = direct.Status;
        state.WriteServerHeader(response.Headers);
        route.ResponseHeaders.Apply(response.Headers, context, state);
        state.ApplyCorsHeaders(response.Headers);
        if (route.DirectResponseBody is not { Length: > 0 } body)
        {
            response.ContentLength = 0;
            return Task.CompletedTask;
        }

        if (!response.Headers.ContainsKey("content-type"))
        {
            response.Headers.ContentType = "text/plain";
        }

        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }

    /// <summary>Undoes what a failed or discarded attempt set on the (not yet started) response.</summary>
    private static void ResetResponse(HttpContext context)
    {
        context.Features.Store<IForwarderErrorFeature>(null);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.Clear();
        if (context.Features.Fetch<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Forwarding to cluster {Cluster} failed unexpectedly")]
        public static partial void ForwardFailed(ILogger logger, string cluster, Exception exception);
    }
}
