using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ObjectPool;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Routing;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Http;

/// <summary>Which side of the workload a request is on.</summary>
internal enum RequestDirection
{
    Outbound,
    Inbound,
}

/// <summary>
/// Everything the router learns about one request, from route match to the last attempt: read by the transformer
/// (through the request's features), by telemetry and by the access log. Pooled: one instance serves many requests.
/// </summary>
internal sealed class RequestState : IResettable
{
    private const int MaxTrackedHosts = 8;
    private readonly EndpointState?[] _tried = new EndpointState?[MaxTrackedHosts];
    private CancellationTokenSource? _attemptTimeout;
    private TimeProvider _time = TimeProvider.System;
    private int _triedCount;
    private RequestTransformer? _transformer;

    public HttpContext Context { get; private set; } = null!;

    /// <summary>
    /// The downstream connection the request came on (its listener, original destination, TLS), looked up once per
    /// request: each lookup is a feature fetch and a dictionary probe (about 500 instructions).
    /// </summary>
    public ProxyConnection? Connection { get; private set; }

    public RequestDirection Direction { get; private set; }

    public long StartTimestamp { get; private set; }

    public ResponseFlags Flags { get; set; }

    public VirtualHost? VirtualHost { get; set; }

    public Route? Route { get; set; }

    public WeightedCluster? Target { get; set; }

    public ClusterState? Cluster { get; set; }

    /// <summary>The endpoint of the current (or last) attempt.</summary>
    public EndpointState? Endpoint { get; set; }

    /// <summary>Retries made so far (attempts - 1).</summary>
    public int Retries { get; set; }

    public RetryPolicy? RetryPolicy { get; set; }

    /// <summary>Set by the transformer when it discarded a retriable response because a retry will follow.</summary>
    public bool RetryPending { get; set; }

    /// <summary>Set by the transformer when it refused the response's framing (Envoy's codec would not parse it): 502 UPE follows.</summary>
    public bool ResponseFramingRefused { get; set; }

    /// <summary>The status of the last response discarded for a retry.</summary>
    public int LastRetriedStatus { get; set; }

    /// <summary>Whether the current attempt may still be retried (retries left, body replayable, time left).</summary>
    public bool AttemptIsRetriable { get; set; }

    /// <summary>
    /// When the first attempt was sent upstream, and when the response headers that go downstream arrived: Envoy's
    /// <c>x-envoy-upstream-service-time</c> counts from the routed request, so retries and their back-off are in it.
    /// </summary>
    public long UpstreamStartTimestamp { get; set; }

    public long UpstreamHeadersTimestamp { get; set; }

    /// <summary>The route timeout's deadline (a <see cref="TimeProvider"/> timestamp), or <see cref="long.MaxValue"/>.</summary>
    public long RouteDeadline { get; set; } = long.MaxValue;

    /// <summary>The request body wrapper used for replay, when the request has a body and may be retried or mirrored.</summary>
    public ReplayableRequestBody? Body { get; set; }

    public ReplayableRequestBody ReusableBody { get; } = new();

    /// <summary>
    /// AuthorizationPolicy denied the request (Envoy's RBAC filter answered it): the id of the DENY rule that matched,
    /// or <c>none</c> when no ALLOW policy did; null when not denied.
    /// </summary>
    public string? AccessDeniedBy { get; set; }

    /// <summary>Why RequestAuthentication refused the request's JWT (Envoy's <c>jwt_authn</c> answered it), or null.</summary>
    public string? JwtFailure { get; set; }

    /// <summary>The route's CORS policy when the request's <c>Origin</c> is allowed: its response carries the CORS headers.</summary>
    public CorsPolicy? Cors { get; set; }

    /// <summary>The allowed <c>Origin</c> the response echoes (with <see cref="Cors"/>).</summary>
    public string? CorsOrigin { get; set; }

    /// <summary>The CORS filter answered the request as a preflight (Envoy's detail <c>cors_response</c>).</summary>
    public bool CorsPreflight { get; set; }

    /// <summary>The upstream failed after the response had started streaming downstream (Envoy's <c>upstream_reset_after_response_started</c>).</summary>
    public bool UpstreamResetAfterResponseStarted { get; set; }

    /// <summary>The 504 answers an attempt's per-try timeout, not the route's (Envoy's details differ: <c>upstream_per_try_timeout</c>).</summary>
    public bool PerTryTimedOut { get; set; }

    /// <summary>The external authorization service's refusal being answered (CUSTOM policy), or null.</summary>
    public Security.Authorization.ExtAuthzDecision? ExtAuthzDenial { get; set; }

    /// <summary>The path the route rewrote the request to (without query), or null: what Envoy's <c>:path</c> reads after the router.</summary>
    public string? RewrittenPath { get; set; }

    /// <summary>The authority a route's rewrite sent instead of the request's (Envoy's router rewrites the request's own
    /// <c>:authority</c>, so its access log shows this one); null when not rewritten.</summary>
    public string? RewrittenAuthority { get; set; }

    /// <summary>A <c>Set-Cookie</c> value a cookie hash policy generated for this request, or null.</summary>
    public string? SetCookie { get; set; }

    /// <summary>The request came as gRPC-Web on a connection manager with Envoy's grpc_web filter: it goes upstream as gRPC.</summary>
    public GrpcWebMode GrpcWeb { get; set; }

    /// <summary>The gRPC-Web caller accepts base64 text: the response is encoded so.</summary>
    public bool GrpcWebTextResponse { get; set; }

    /// <summary>The upstream's <c>grpc-status</c> trailer, which gRPC-Web sends in the body rather than as a trailer.</summary>
    public string? GrpcWebTrailerStatus { get; set; }

    /// <summary>Which of its own headers the proxy adds (mesh config <c>defaultConfig.proxyHeaders</c>), as of the request's start.</summary>
    public Sidecar.Model.ProxyHeadersConfig ProxyHeaders { get; set; } = Sidecar.Model.ProxyHeadersConfig.Default;

    /// <summary>
    /// Writes the proxy's Server header (Envoy's <c>server_name</c>: <c>envoy</c> outbound, <c>istio-envoy</c> inbound,
    /// or <c>proxyHeaders.server.value</c>); with <c>proxyHeaders.server.disabled</c> the upstream's header is left as it is.
    /// </summary>
    public void WriteServerHeader(IHeaderDictionary headers)
    {
        if (!ProxyHeaders.ServerDisabled)
        {
            // The typed property writes Kestrel's known-header slot directly, without looking the name up.
            headers.Server = ProxyHeaders.ServerValue ?? (Direction == RequestDirection.Inbound ? Http.ProxyHeaders.InboundServerName : Http.ProxyHeaders.OutboundServerName);
        }
    }

    /// <summary>Writes this sidecar's <c>x-envoy-response-flags</c> debug header, unless <c>envoyDebugHeaders</c> are off.</summary>
    public void WriteResponseFlagsHeader(IHeaderDictionary headers)
    {
        if (!ProxyHeaders.EnvoyDebugHeadersDisabled)
        {
            headers[Http.ProxyHeaders.ResponseFlags] = Flags.ToShortString();
        }
    }

    /// <summary>The deadline the upstream is told (<see cref="Http.ExpectedTimeout"/>), as header texts; null without a timeout.</summary>
    public (string Ms, string Grpc)? ExpectedTimeout { get; set; }

    /// <summary>Where an original-destination (passthrough) request went, as <c>ip:port</c> or the Host it named; null otherwise.</summary>
    public string? PassthroughHost { get; set; }

    /// <summary>Envoy's details of a request refused before any filter ran (<see cref="Router.Refuse"/>); null otherwise.</summary>
    public string? RefusalDetails { get; set; }

    /// <summary>Whether the access log prints where the upstream connection left from: the router then has it recorded.</summary>
    public bool RecordsUpstreamLocalAddress { get; set; }

    /// <summary>The local end of the HTTP/1 connection the last attempt was written on (<see cref="Upstream.UpstreamLocalAddress"/>).</summary>
    public System.Net.IPEndPoint? UpstreamLocalAddress { get; set; }

    /// <summary>The arriving request's headers that the proxy's policy depends on, read once.</summary>
    public ArrivalHeaders Arrival { get; set; } = ArrivalHeaders.Unread;

    /// <summary>The request's <c>x-request-id</c> (<see cref="RequestIds"/>).</summary>
    public string RequestId { get; private set; } = "";

    /// <summary>True when <see cref="RequestId"/> was made here: the downstream request does not carry it.</summary>
    public bool RequestIdGenerated { get; private set; }

    /// <summary>What telemetry keeps between its hooks (span, peer workload); reset with the state.</summary>
    public Telemetry.RequestTelemetryState Telemetry { get; } = new();

    /// <summary>Adds the CORS response headers when the request came from an allowed origin (Envoy's CORS <c>encodeHeaders</c>).</summary>
    public void ApplyCorsHeaders(IHeaderDictionary headers)
    {
        if (CorsOrigin is { } origin)
        {
            Cors!.WriteResponseHeaders(origin, headers);
        }
    }

    public ReadOnlySpan<EndpointState?> TriedEndpoints => _tried.AsSpan(0, _triedCount);

    /// <summary>When the request arrived (Envoy's <c>%START_TIME%</c>).</summary>
    public DateTimeOffset StartTime => _time.GetUtcNow() - Elapsed;

    public TimeSpan Elapsed => _time.GetElapsedTime(StartTimestamp);

    /// <summary>The address the downstream connected to: the original destination of a captured connection, else the listener's.</summary>
    public System.Net.IPEndPoint? DownstreamLocalEndpoint =>
        Connection?.OriginalDestination?.Endpoint is { } original ? original
        : Context.Connection.LocalIpAddress is { } local ? new System.Net.IPEndPoint(local, Context.Connection.LocalPort)
        : null;

    public void Begin(HttpContext context, RequestDirection direction, TimeProvider time, ProxyConnection? connection = null)
    {
        Context = context;
        Connection = connection;
        Direction = direction;
        _time = time;
        StartTimestamp = time.GetTimestamp();
    }

    public void SetRequestId(string id, bool generated)
    {
        RequestId = id;
        RequestIdGenerated = generated;
    }

    /// <summary>YARP's transformer bound to this state: made on first use, kept across the pool's reuses.</summary>
    public RequestTransformer TransformerFor(RoutePolicies policies) => _transformer ??= new RequestTransformer(policies, this);

    public void RememberTried(EndpointState endpoint)
    {
        if (_triedCount < MaxTrackedHosts)
        {
            _tried[_triedCount++] = endpoint;
        }
    }

    /// <summary>
    /// A token for one attempt that fires at the sooner of the per-try timeout and the route deadline; one
    /// source per request, reset between attempts.
    /// </summary>
    public CancellationToken AttemptToken(TimeSpan? perTryTimeout)
    {
        var now = _time.GetTimestamp();
        var limit = perTryTimeout;
        AttemptBoundByPerTryTimeout = perTryTimeout is not null;
        if (RouteDeadline != long.MaxValue)
        {
            var remaining = _time.GetElapsedTime(now, RouteDeadline);
            remaining = remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining;
            AttemptBoundByPerTryTimeout = limit is { } perTry && perTry < remaining;
            limit = AttemptBoundByPerTryTimeout ? limit : remaining;
        }

        if (limit is not { } delay)
        {
            return CancellationToken.None;
        }

        if (_attemptTimeout is null || !_attemptTimeout.TryReset())
        {
            _attemptTimeout?.Dispose();
            _attemptTimeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        }

        _attemptTimeout.CancelAfter(delay <= TimeSpan.Zero ? TimeSpan.FromTicks(1) : delay);
        return _attemptTimeout.Token;
    }

    /// <summary>
    /// Whether the current attempt's timer is its per-try timeout rather than what is left of the route's: decided when
    /// the timer is set, since a timer may fire a little before the deadline's timestamp reads as passed.
    /// </summary>
    public bool AttemptBoundByPerTryTimeout { get; private set; }

    /// <summary>True when the current attempt's timeout fired.</summary>
    public bool AttemptTimedOut => _attemptTimeout?.IsCancellationRequested == true;

    public bool RouteDeadlinePassed => RouteDeadline != long.MaxValue && _time.GetTimestamp() >= RouteDeadline;

    public bool TryReset()
    {
        Context = null!;
        Connection = null;
        RequestId = "";
        RequestIdGenerated = false;
        Arrival = ArrivalHeaders.Unread;
        PassthroughHost = null;
        RecordsUpstreamLocalAddress = false;
        RefusalDetails = null;
        UpstreamLocalAddress = null;
        ExpectedTimeout = null;
        Flags = ResponseFlags.None;
        VirtualHost = null;
        Route = null;
        Target = null;
        Cluster = null;
        Endpoint = null;
        Retries = 0;
        RetryPolicy = null;
        RetryPending = false;
        ResponseFramingRefused = false;
        LastRetriedStatus = 0;
        AttemptIsRetriable = false;
        UpstreamStartTimestamp = 0;
        UpstreamHeadersTimestamp = 0;
        RouteDeadline = long.MaxValue;
        AttemptBoundByPerTryTimeout = false;
        Body = null;
        SetCookie = null;
        GrpcWeb = GrpcWebMode.None;
        GrpcWebTextResponse = false;
        GrpcWebTrailerStatus = null;
        RewrittenPath = null;
        RewrittenAuthority = null;
        ExtAuthzDenial = null;
        AccessDeniedBy = null;
        JwtFailure = null;
        Cors = null;
        CorsOrigin = null;
        CorsPreflight = false;
        UpstreamResetAfterResponseStarted = false;
        PerTryTimedOut = false;
        ReusableBody.Detach();
        Telemetry.Reset();
        Array.Clear(_tried);
        _triedCount = 0;
        if (_attemptTimeout is not null && !_attemptTimeout.TryReset())
        {
            _attemptTimeout.Dispose();
            _attemptTimeout = null;
        }

        return true;
    }
}
