using Microsoft.AspNetCore.Http;
using Sidecar.Model;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The route's request and response policies, applied as YARP copies each side (through the request's
/// <see cref="RequestTransformer"/>): header mutations (weighted cluster first, then route, as Envoy orders them), path
/// and authority rewrites, and on the response the retry decision: a retriable response is discarded (not copied
/// downstream) when a retry will follow.
/// </summary>
internal sealed class RoutePolicies
{
    private readonly TimeProvider _time;
    private readonly UpstreamUriCache _uris = new();

    public RoutePolicies(TimeProvider time) => _time = time;

    /// <summary>Propagation and peer metadata exchange hooks (set with the router's).</summary>
    public Telemetry.IRequestTelemetry? Telemetry { get; set; }

    /// <summary>After YARP has copied the request: the route's request policies.</summary>
    public void TransformRequest(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, RequestState state)
    {
        var request = httpContext.Request;
        var path = request.Path.Value ?? "/";
        var rewritten = state.Route is { Action: { } routeAction } routed ? RewritePath(routed, routeAction, path) : null;
        // One URI per attempt, for the path sent (rewritten or not); YARP builds none when the transformer set it.
        proxyRequest.RequestUri = _uris.Get(destinationPrefix, rewritten ?? path, request.QueryString);

        // Envoy forwards the original authority unless the route rewrites it: the base copy already carries the Host
        // header (HTTP/2's :authority included, which Kestrel presents as Host). It is left unparsed: setting it again
        // would validate it twice per request, each time by building a Uri.

        // `Expect: 100-continue` goes upstream (Istio's ENABLE_100_CONTINUE_HEADERS sets proxy_100_continue): the pool
        // holds the body until the upstream's 100, or its own second.

        AddProxyHeaders(httpContext, proxyRequest, state);
        if (state.Route is not { } route)
        {
            return;
        }

        state.Target?.RequestHeaders.Apply(proxyRequest, httpContext, state);
        route.RequestHeaders.Apply(proxyRequest, httpContext, state);

        if (route.Action is not { } action)
        {
            return;
        }

        if (action.Config.HostRewrite is { } host)
        {
            proxyRequest.Headers.Host = host;
            state.RewrittenAuthority = host;
        }

        if (rewritten is not null)
        {
            proxyRequest.Headers.Remove(ProxyHeaders.OriginalPath);
            proxyRequest.Headers.TryAddWithoutValidation(ProxyHeaders.OriginalPath, request.Path.Value + request.QueryString.Value);
            state.RewrittenPath = rewritten;
        }
    }

    /// <summary>
    /// What the connection manager and Istio's filters add before the router copies the request, so an attempt and a
    /// mirror's shadow both carry them: the request id, <c>x-forwarded-proto</c>, the attempt number (Istio sets
    /// <c>include_request_attempt_count</c>; a caller's own was dropped on arrival), the expected timeout, peer
    /// metadata and trace context.
    /// </summary>
    public void AddProxyHeaders(HttpContext httpContext, HttpRequestMessage upstream, RequestState state)
    {
        var request = httpContext.Request;
        RequestIds.AddTo(upstream, state);
        if (!state.Arrival.ForwardedProto)
        {
            upstream.Headers.TryAddWithoutValidation(ProxyHeaders.ForwardedProto, request.Scheme);
        }

        var policy = state.ProxyHeaders;
        if (!policy.AttemptCountDisabled)
        {
            upstream.Headers.TryAddWithoutValidation(ProxyHeaders.AttemptCount, AttemptNumbers.Text(state.Retries + 1));
        }

        if (state.ExpectedTimeout is { } expected)
        {
            if (!policy.EnvoyDebugHeadersDisabled)
            {
                upstream.Headers.TryAddWithoutValidation(ExpectedTimeout.HeaderName, expected.Ms);
            }

            if (LocalReply.IsGrpc(request))
            {
                upstream.Headers.Remove(GrpcTimeout.HeaderName);
                upstream.Headers.TryAddWithoutValidation(GrpcTimeout.HeaderName, expected.Grpc);
            }
        }

        Telemetry?.OnUpstreamRequest(httpContext, upstream, state);
    }

    /// <summary>
    /// Before YARP copies the response: notes when the upstream's headers arrived and decides whether the response
    /// goes downstream: false when it is retriable and a retry will follow (it is discarded). Marks URX when the
    /// retries ran out on a retriable response.
    /// </summary>
    public bool AcceptResponse(HttpResponseMessage proxyResponse, RequestState state)
    {
        state.UpstreamHeadersTimestamp = _time.GetTimestamp();
        // Envoy's HTTP/1 codec refuses a response framed both by Content-Length and Transfer-Encoding (RFC 9112
        // section 6.3's smuggling case; Istio leaves allow_chunked_length off): a protocol error, never forwarded. The
        // unvalidated views look the names up without parsing the values (the typed properties would, per response).
        if (proxyResponse.Version.Major == 1 && proxyResponse.Content.Headers.NonValidated.Contains("Content-Length")
            && proxyResponse.Headers.NonValidated.Contains("Transfer-Encoding"))
        {
            state.ResponseFramingRefused = true;
            return false;
        }

        var status = (int)proxyResponse.StatusCode;
        if (state.RetryPolicy is not { } retry || !retry.IsRetriableResponse(status, proxyResponse.Headers))
        {
            return true;
        }

        // The body may have outgrown the replay buffer while this attempt sent it: then, as in Envoy, the response
        // goes downstream rather than a retry with a cut-off body.
        if (state.AttemptIsRetriable && state.Body is not { CanReplay: false } && state.Cluster!.TryAcquireRetry())
        {
            state.RetryPending = true;
            state.LastRetriedStatus = status;
            return false;
        }

        if (state.Retries >= retry.NumRetries)
        {
            state.Flags |= ResponseFlags.UpstreamRetryLimitExceeded;
        }

        return true;
    }

    /// <summary>After YARP has copied the response headers: Envoy's own headers and the route's response policies.</summary>
    public void TransformResponse(HttpContext httpContext, RequestState state)
    {
        var headers = httpContext.Response.Headers;
        if (!state.ProxyHeaders.EnvoyDebugHeadersDisabled)
        {
            headers[ProxyHeaders.UpstreamServiceTime] = UpstreamServiceTime.Format(_time.GetElapsedTime(state.UpstreamStartTimestamp, state.UpstreamHeadersTimestamp));
        }

        state.WriteServerHeader(headers);
        if (state.Flags != ResponseFlags.None)
        {
            state.WriteResponseFlagsHeader(headers);
        }

        if (state.SetCookie is { } cookie)
        {
            headers.Append("set-cookie", cookie);
        }

        Telemetry?.OnResponseHeaders(httpContext, state);
        state.Target?.ResponseHeaders.Apply(headers, httpContext, state);
        state.Route?.ResponseHeaders.Apply(headers, httpContext, state);
        state.ApplyCorsHeaders(headers);
    }

    /// <summary>
    /// Envoy's <c>prefix_rewrite</c> (the matched prefix is replaced; for exact and regex matches the whole path)
    /// and <c>regex_rewrite</c>. Returns null when the path is unchanged.
    /// </summary>
    internal static string? RewritePath(Routing.Route route, Routing.RouteAction action, string path)
    {
        if (action.Config.PrefixRewrite is { } prefix)
        {
            if (route.Path.Kind is PathMatchKind.Prefix or PathMatchKind.PathSeparatedPrefix)
            {
                var matched = Math.Min(route.Path.Value.Length, path.Length);
                return string.Concat(prefix, path.AsSpan(matched));
            }

            return prefix;
        }

        if (action.RegexRewrite is { } regex)
        {
            return regex.Replace(path, action.RegexRewriteSubstitution!);
        }

        return null;
    }
}
