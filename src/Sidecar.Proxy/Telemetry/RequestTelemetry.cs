using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.MetadataExchange;
using Sidecar.Proxy.Telemetry.AccessLog;
using Sidecar.Proxy.Telemetry.Metrics;
using Sidecar.Proxy.Telemetry.Tracing;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// Telemetry for one HTTP request, at the router's hooks: Istio's HTTP peer metadata exchange (headers added to
/// mesh-bound requests and to inbound responses, read and stripped on the other side), the span, and at the end
/// the standard metrics and the access log entry. Everything per request is a cache hit or a field copy; label
/// strings are built once per distinct series.
/// </summary>
internal sealed class RequestTelemetry : IRequestTelemetry
{
    private readonly IstioMetrics _metrics;
    private readonly ProxyTracer _tracer;
    private readonly TelemetrySettings _settings;
    private readonly TimeProvider _time;
    private readonly ServiceLabelCache _services = new();
    private readonly PeerLabelCache _peers = new();
    private readonly ConditionalWeakTable<ProxyConnection, ConnectionPeer> _connectionPeers = new();
    private readonly ConditionalWeakTable<Upstream.EndpointState, ConnectionPeer> _endpointPeers = new();
    private readonly ConditionalWeakTable<PeerMetadata, WorkloadLabels> _exchangedPeers = new();
    private readonly string _metadataHeader;
    private readonly string _metadataId;
    private readonly PeerMetadataReply _metadataReply;

    // How upstream connections are secured, for destination_principal on the source reporter; null: never mTLS.
    private readonly Security.UpstreamTlsOriginator? _tls;
    private readonly string _localSpiffeId;

    public RequestTelemetry(IstioMetrics metrics, ProxyTracer tracer, TelemetrySettings settings, WorkloadInfo workload, TimeProvider time, Security.UpstreamTlsOriginator? tls = null)
    {
        _tls = tls;
        ArgumentNullException.ThrowIfNull(workload);
        _metrics = metrics;
        _tracer = tracer;
        _settings = settings;
        _time = time;
        _metadataHeader = PeerMetadataCodec.ToHeaderValue(PeerMetadata.From(workload));
        _metadataId = workload.NodeId;
        _localSpiffeId = workload.SpiffeId;
        _metadataReply = new PeerMetadataReply(_metadataHeader, _metadataId);
    }

    public void OnRequestStarted(HttpContext context, RequestState state)
    {
        // A body of no stated length (chunked, or HTTP/2 without content-length) is counted as it is read.
        var request = context.Request;
        if (request.ContentLength is null && RequestBodies.MayHaveBody(request))
        {
            state.Telemetry.RequestBytes.Attach(request.Body);
            request.Body = state.Telemetry.RequestBytes;
        }

        if (state.Direction == RequestDirection.Inbound)
        {
            state.Telemetry.Peer = ReadCaller(context, state.Connection, state.Telemetry);
        }

        if (_settings.TracingFor(state.Direction) is { Enabled: true } tracing)
        {
            _tracer.Start(context, state, tracing.SamplingPercent);
        }

        state.RecordsUpstreamLocalAddress = _settings.AccessLogsPrintUpstreamLocalAddress;
    }

    public void OnUpstreamRequest(HttpContext context, HttpRequestMessage upstreamRequest, RequestState state)
    {
        ArgumentNullException.ThrowIfNull(upstreamRequest);
        // Only toward mesh services (clusters with Istio service metadata): never leak workload metadata to passthrough destinations.
        if (state.Direction == RequestDirection.Outbound && state.Cluster?.Config.Service is not null)
        {
            var headers = upstreamRequest.Headers;
            headers.TryAddWithoutValidation(PeerMetadataCodec.MetadataHeader, _metadataHeader);
            headers.TryAddWithoutValidation(PeerMetadataCodec.MetadataIdHeader, _metadataId);
        }

        if (_settings.TracingFor(state.Direction).ContextPropagation)
        {
            _tracer.Inject(upstreamRequest, state);
        }
    }

    public void OnResponseHeaders(HttpContext context, RequestState state)
    {
        // A forwarded response without Content-Length (chunked, streamed) is counted as it is written. Swapping the
        // body feature costs a feature-cache refresh, so a response whose length its header states is not wrapped.
        if (context.Response.ContentLength is null && !state.Telemetry.ResponseBytes.IsAttached && context.Features.Fetch<IHttpResponseBodyFeature>() is { } body)
        {
            var counter = state.Telemetry.ResponseBytes;
            counter.Attach(body);
            context.Features.Store<IHttpResponseBodyFeature>(counter);
        }

        var headers = context.Response.Headers;
        if (state.Direction == RequestDirection.Outbound)
        {
            // The callee's sidecar answered with its metadata: it becomes the destination_* labels, the app never sees it.
            if (headers.TryGetValue(PeerMetadataCodec.MetadataHeader, out var value))
            {
                state.Telemetry.Peer = ReadCallee(value.ToString(), state.Endpoint);
                headers.Remove(PeerMetadataCodec.MetadataHeader);
                headers.Remove(PeerMetadataCodec.MetadataIdHeader);
            }

            return;
        }

        state.Telemetry.MetadataReply?.WriteTo(headers);
    }

    /// <summary>
    /// A request Kestrel's parser refused and answered itself (<see cref="CodecRejections"/>): logged as Envoy's codec
    /// logs one, with no request (<c>"- - HTTP/1.1"</c>), flag DPE and the codec's detail; not counted, as before routing.
    /// An access log filter (a Telemetry <c>filter</c>) has no request to look at, so such a log takes none of these.
    /// </summary>
    public void OnCodecRejection(Microsoft.AspNetCore.Connections.ConnectionContext connection, ProxyConnection proxy, int status)
    {
        var logs = _settings.AccessLogs;
        if (logs.Length == 0 || !_settings.ShouldLogConnection(proxy.Direction))
        {
            return;
        }

        var local = proxy.OriginalDestination?.Endpoint ?? connection.LocalEndPoint as System.Net.IPEndPoint;
        var remote = connection.RemoteEndPoint as System.Net.IPEndPoint;
        var entry = new AccessLogEntry
        {
            StartTime = _time.GetUtcNow(),
            Method = "-",
            Protocol = "HTTP/1.1",
            ResponseCode = status,
            Flags = ResponseFlags.DownstreamProtocolError,
            // Envoy's HTTP/1 codec details: headers over the limit are 431 http1.headers_too_large.
            ResponseCodeDetails = status == StatusCodes.Status431RequestHeaderFieldsTooLarge ? "http1.headers_too_large" : "http1.codec_error",
            DownstreamPeerUriSan = proxy.PeerPrincipal,
            DownstreamLocalUriSan = proxy.IsMutualTls ? _localSpiffeId : null,
            DownstreamLocalAddress = local?.Address,
            DownstreamLocalPort = local?.Port ?? 0,
            DownstreamRemoteAddress = remote?.Address,
            DownstreamRemotePort = remote?.Port ?? 0,
            RequestedServerName = proxy.ServerName,
        };
        foreach (var log in logs)
        {
            log.Enqueue(entry);
        }
    }

    public void OnRequestRefused(HttpContext context, RequestState state)
    {
        var logs = _settings.AccessLogs;
        if (logs.Length == 0 || !_settings.ShouldLog(context, state))
        {
            return;
        }

        // No request id is made for a request the codec refused; the caller's own is logged.
        if (context.Request.Headers.TryGetValue(ProxyHeaders.RequestId, out var requestId) && requestId.Count > 0)
        {
            state.SetRequestId(requestId.ToString(), generated: false);
        }

        Enqueue(logs, Entry(context, state, ServiceLabels.Unknown, state.Elapsed, context.Request.ContentLength ?? 0, responseBytes: 0), context, state);
    }

    public void OnRequestCompleted(HttpContext context, RequestState state)
    {
        var response = context.Response;
        var request = context.Request;
        var service = ServiceOf(context, state);
        var elapsed = _time.GetElapsedTime(state.StartTimestamp);
        var requestBytes = state.Telemetry.RequestBytes.IsAttached ? state.Telemetry.RequestBytes.BytesRead : request.ContentLength ?? 0;
        var counter = state.Telemetry.ResponseBytes;
        var responseBytes = counter.IsAttached ? counter.BytesWritten : StatedBodyLength(context);
        if (counter.IsAttached)
        {
            context.Features.Store(counter.Inner);
        }

        var grpc = LocalReply.IsGrpc(request);

        var policy = SecurityPolicy.Unknown;
        var principal = IstioLabelNames.Unknown;
        var connection = state.Connection;

        // Istio's istio_request_bytes and istio_response_bytes are the downstream wire bytes (headers included), as
        // the connection carried them; on HTTP/2, where streams share a connection, the bodies.
        long wireReceived = requestBytes, wireSent = responseBytes;
        if (connection?.WireBytes is { } wire)
        {
            var lastChunk = response.Headers.TransferEncoding.Count > 0 && !HttpMethods.IsHead(request.Method) ? WireBytes.LastChunkLength : 0;
            wireSent = wire.TakeResponse(lastChunk);
            wireReceived = state.Arrival.WireBytes(request, context.Features.Fetch<IHttpRequestFeature>()?.RawTarget, requestBytes);
        }

        if (state.Direction == RequestDirection.Inbound && connection is not null)
        {
            policy = connection.IsMutualTls ? SecurityPolicy.MutualTls : SecurityPolicy.None;
            principal = connection.PeerPrincipal ?? IstioLabelNames.Unknown;
        }
        else if (state.Direction == RequestDirection.Outbound && state.Telemetry.Peer.Metadata?.Identity is { } identity && UsesIstioMutual(state))
        {
            // destination_principal on the source reporter: the callee's identity, which the SAN check of the
            // ISTIO_MUTUAL handshake proved (Istio takes it from the peer certificate); unknown over plaintext.
            principal = identity;
        }

        // One read of the families: the per-request tags and the recording agree even across a config push.
        var families = _metrics.Families;
        var expressions = families.Layout.RequestExpressions(state.Direction);
        var tags = expressions.Length == 0 ? null : MetricTagEvaluator.Evaluate(expressions, context, state);
        var key = new HttpSeriesKey(state.Direction, state.Telemetry.Peer, service, principal, ReportedStatus(context, state), state.Flags, grpc, grpc ? GrpcStatus(context, state) : "", policy, tags);
        families.RecordRequest(key, elapsed.TotalMilliseconds, wireReceived, wireSent);
        var tracing = _settings.TracingFor(state.Direction);
        _tracer.Stop(context, state, service, requestBytes, responseBytes, tracing.IstioTags, tracing.CustomTags);
        var logs = _settings.AccessLogs;
        if (logs.Length > 0 && _settings.ShouldLog(context, state))
        {
            Enqueue(logs, Entry(context, state, service, elapsed, requestBytes, responseBytes), context, state);
        }
    }

    /// <summary>Hands the entry to each log, with the headers that log's format names.</summary>
    private static void Enqueue(AccessLogSink[] logs, in AccessLogEntry entry, HttpContext context, RequestState state)
    {
        foreach (var log in logs)
        {
            if (log.Custom is { } custom)
            {
                log.Enqueue(entry with { RequestHeaderValues = custom.CaptureRequestHeaders(context.Request, state), ResponseHeaderValues = custom.CaptureResponseHeaders(context.Response) });
            }
            else
            {
                log.Enqueue(entry);
            }
        }
    }

    /// <summary>Whether the request's endpoint was reached over Istio mTLS (the originator's own rule: DestinationRule ISTIO_MUTUAL, or auto mTLS).</summary>
    private bool UsesIstioMutual(RequestState state) =>
        _tls is not null && state.Cluster?.Config is { } cluster && state.Endpoint?.Config is { } endpoint
        && _tls.SettingsFor(cluster, endpoint)?.Mode == UpstreamTlsMode.IstioMutual;

    /// <summary>The caller's workload on an inbound request: its metadata header (decoded once per connection and value, then stripped), else what a TCP exchange left on the connection.</summary>
    private WorkloadLabels ReadCaller(HttpContext context, ProxyConnection? connection, RequestTelemetryState telemetry)
    {
        var headers = context.Request.Headers;
        if (headers.TryGetValue(PeerMetadataCodec.MetadataHeader, out var value))
        {
            // Istio's metadata exchange answers only a caller that sent its own: a client outside the mesh never
            // receives the workload's name, labels and identity.
            telemetry.MetadataReply = _metadataReply;
            var text = value.ToString();
            headers.Remove(PeerMetadataCodec.MetadataHeader);
            headers.Remove(PeerMetadataCodec.MetadataIdHeader);
            if (connection is null)
            {
                return _peers.For(text);
            }

            if (_connectionPeers.TryGetValue(connection, out var known) && string.Equals(known.Header, text, StringComparison.Ordinal))
            {
                return known.Labels;
            }

            var labels = _peers.For(text);
            _connectionPeers.AddOrUpdate(connection, new ConnectionPeer(text, labels));
            connection.PeerMetadata ??= labels.Metadata;
            return labels;
        }

        if (connection?.PeerMetadata is { } exchanged)
        {
            return _exchangedPeers.GetValue(exchanged, static m => WorkloadLabels.From(m));
        }

        return WorkloadLabels.Unknown;
    }

    /// <summary>The callee's workload from its response header: an endpoint answers with the same value each time, so the last one is kept per endpoint and compared, not hashed.</summary>
    private WorkloadLabels ReadCallee(string header, Upstream.EndpointState? endpoint)
    {
        if (endpoint is null)
        {
            return _peers.For(header);
        }

        if (_endpointPeers.TryGetValue(endpoint, out var known) && string.Equals(known.Header, header, StringComparison.Ordinal))
        {
            return known.Labels;
        }

        var labels = _peers.For(header);
        _endpointPeers.AddOrUpdate(endpoint, new ConnectionPeer(header, labels));
        return labels;
    }

    /// <summary>The route's cluster when the request ended before one was picked (fault abort): Envoy reports it all the same.</summary>
    /// <summary>
    /// The destination_service labels: the cluster's service; on the source reporter, for a request that reached no
    /// mesh service, Istio's host-header fallback (the authority, named after the catch-all it took).
    /// </summary>
    private ServiceLabels ServiceOf(HttpContext context, RequestState state)
    {
        var service = _services.For(state.Cluster ?? RouteCluster(state));
        if (state.Direction != RequestDirection.Outbound || !service.IsHostFallback)
        {
            return service;
        }

        var authority = Routing.RequestView.AuthorityOf(context.Request);
        if (authority.Length == 0)
        {
            return service;
        }

        var name = state.Route?.Config.Name == "block_all" ? Model.ClusterName.BlackHole
            : service.ClusterName == Model.ClusterName.Passthrough ? Model.ClusterName.Passthrough
            : authority;
        return _services.ForHost(authority, name, service);
    }

    private static Upstream.ClusterState? RouteCluster(RequestState state) =>
        state.Route?.Action is { Clusters: [var first, ..] } ? first.Cluster : null;

    private static string GrpcStatus(HttpContext context, RequestState state)
    {
        if (context.Response.Headers.TryGetValue(ProxyHeaders.GrpcStatus, out var status))
        {
            return status.ToString();
        }

        return context.Features.Fetch<IHttpResponseTrailersFeature>()?.Trailers is { } trailers && trailers.TryGetValue(ProxyHeaders.GrpcStatus, out var trailer)
            ? trailer.ToString()
            : state.GrpcWebTrailerStatus ?? "";
    }

    private AccessLogEntry Entry(HttpContext context, RequestState state, ServiceLabels service, TimeSpan elapsed, long requestBytes, long responseBytes)
    {
        var request = context.Request;
        var headers = request.Headers;
        var connection = context.Connection;
        var proxyConnection = state.Connection;
        var original = proxyConnection?.OriginalDestination?.Endpoint;
        return new AccessLogEntry
        {
            StartTime = _time.GetUtcNow() - elapsed,
            Method = request.Method,
            Path = state.RewrittenPath is null && headers.TryGetValue(ProxyHeaders.OriginalPath, out var originalPath) ? originalPath.ToString() : request.Path.Value,
            Query = request.QueryString.Value,
            Protocol = request.Protocol,
            ResponseCode = ReportedStatus(context, state),
            Flags = state.Flags,
            ResponseCodeDetails = ResponseCodeDetails.For(state),
            UpstreamTransportFailureReason = (state.Flags & ResponseFlags.UpstreamConnectionFailure) != 0 ? ConnectFailureReply.TransportFailureReason(context) : null,
            BytesReceived = requestBytes,
            BytesSent = responseBytes,
            DurationMs = (long)elapsed.TotalMilliseconds,
            UpstreamServiceTime = context.Response.Headers.TryGetValue(ProxyHeaders.UpstreamServiceTime, out var upstreamTime) ? upstreamTime.ToString() : null,
            ForwardedFor = headers.TryGetValue("x-forwarded-for", out var forwarded) ? forwarded.ToString() : null,
            UserAgent = headers.TryGetValue("user-agent", out var agent) ? HeaderValueEncoding.ToText(agent.ToString()) : null,
            RequestId = state.RequestId.Length > 0 ? state.RequestId : null,
            Authority = state.RewrittenAuthority ?? request.Host.Value,
            UpstreamHost = state.Endpoint?.Key ?? state.PassthroughHost,
            UpstreamCluster = service.Config is null ? null : service.ClusterName,
            UpstreamLocal = state.UpstreamLocalAddress,
            DownstreamPeerUriSan = proxyConnection?.PeerPrincipal,
            DownstreamLocalUriSan = proxyConnection?.IsMutualTls == true ? _localSpiffeId : null,
            DownstreamLocalAddress = original?.Address ?? connection.LocalIpAddress,
            DownstreamLocalPort = original?.Port ?? connection.LocalPort,
            DownstreamRemoteAddress = connection.RemoteIpAddress,
            DownstreamRemotePort = connection.RemotePort,
            RouteName = state.Route?.Config.Name,
            RequestedServerName = proxyConnection?.ServerName,
            Attempts = state.Endpoint is null ? 0 : state.Retries + 1,
            TraceId = state.Telemetry.Span?.TraceId ?? default,
            SpanId = state.Telemetry.Span?.SpanId ?? default,
        };
    }

    private sealed record ConnectionPeer(string Header, WorkloadLabels Labels);

    /// <summary>
    /// The body length of a response that was not counted as written: its Content-Length (Kestrel holds the response
    /// to it), none for HEAD and for the statuses that carry no body.
    /// </summary>
    private static long StatedBodyLength(HttpContext context)
    {
        var response = context.Response;
        return HttpMethods.IsHead(context.Request.Method) || response.StatusCode is < 200 or 204 or 304 ? 0 : response.ContentLength ?? 0;
    }

    /// <summary>
    /// The response code metrics and logs report: 0 when the client went away before a response was sent (Envoy's
    /// <c>0 DC</c>), not the status Kestrel would have sent.
    /// </summary>
    private static int ReportedStatus(HttpContext context, RequestState state) =>
        (state.Flags & (ResponseFlags.DownstreamConnectionTermination | ResponseFlags.DownstreamRemoteReset)) != 0 && !context.Response.HasStarted ? 0 : context.Response.StatusCode;
}
