using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's request mirroring (shadowing): a copy of the request goes to the mirror cluster, fire-and-forget, with
/// <c>-shadow</c> appended to the authority's host, after the route's rewrites and header operations; its response is
/// discarded. A request whose body did not fit
/// the replay buffer is not shadowed, as in Envoy.
/// </summary>
internal sealed partial class MirrorSender
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private readonly ILogger<MirrorSender> _logger;

    public MirrorSender(ILogger<MirrorSender> logger) => _logger = logger;

    public void Send(HttpContext context, RequestState state, RoutePolicies policies, ClusterState cluster, TimeSpan? timeout, Random random)
    {
        ReadOnlyMemory<byte>? body = null;
        if (state.Body is { } replay)
        {
            if (replay.CompleteBody is not { } complete)
            {
                return;
            }

            body = complete.ToArray();
        }
        else if (context.Request.ContentLength is > 0)
        {
            return;
        }

        var endpoint = cluster.PickEndpoint(null, random);
        if (endpoint is null)
        {
            return;
        }

        // Envoy copies the headers for the shadow after the route has finalized them: the path and authority
        // rewrites and the destination's and route's header operations reach the mirror too.
        var request = context.Request;
        var route = state.Route;
        var action = route?.Action;
        var path = request.Path.Value ?? "/";
        if (route is not null && action is not null && RoutePolicies.RewritePath(route, action, path) is { } rewritten)
        {
            path = rewritten;
        }

        // The shadow speaks the mirror cluster's protocol, as the primary speaks its own (gRPC mirrors need HTTP/2).
        var protocol = cluster.RequestConfigFor(request.Protocol);
        var message = new HttpRequestMessage(new HttpMethod(request.Method), UpstreamUri.For(endpoint.DestinationPrefix, path, request.QueryString))
        {
            Version = protocol.Version ?? System.Net.HttpVersion.Version11,
            VersionPolicy = protocol.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
        };

        if (body is { } bytes)
        {
            message.Content = new ReadOnlyMemoryContent(bytes);
        }

        foreach (var header in request.Headers)
        {
            if (ProxyHeaders.IsHopByHopOrFraming(header.Key) || header.Key.StartsWith(':'))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value) && message.Content is not null)
            {
                message.Content.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }

        if (state.GrpcWeb != GrpcWebMode.None)
        {
            // The shadow copies the request as the grpc_web filter left it (its body replays already decoded).
            GrpcWeb.TransformRequest(message);
        }

        policies.AddProxyHeaders(context, message, state);
        state.Target?.RequestHeaders.Apply(message, context, state);
        route?.RequestHeaders.Apply(message, context, state);
        var authority = action?.Config.HostRewrite ?? message.Headers.Host ?? Routing.RequestView.AuthorityOf(request);
        message.Headers.Host = ShadowAuthority(authority.Length > 0 ? authority : endpoint.Key);
        _ = SendAsync(message, cluster, endpoint, timeout ?? DefaultTimeout);
    }

    /// <summary><c>reviews:9080</c> becomes <c>reviews-shadow:9080</c>.</summary>
    internal static string ShadowAuthority(string authority)
    {
        var colon = AuthorityPort.SeparatorOf(authority);
        return colon > 0
            ? string.Concat(authority.AsSpan(0, colon), "-shadow", authority.AsSpan(colon))
            : authority + "-shadow";
    }

    private async Task SendAsync(HttpRequestMessage message, ClusterState cluster, EndpointState endpoint, TimeSpan timeout)
    {
        endpoint.BeginRequest();
        var failed = false;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var response = await cluster.Invoker.SendAsync(message, cts.Token).ConfigureAwait(false);
            failed = (int)response.StatusCode >= 500;
            await response.Content.CopyToAsync(Stream.Null, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            failed = true;
            Log.MirrorFailed(_logger, cluster.Name, ex.Message);
        }
        finally
        {
            endpoint.EndRequest(failed, connectFailure: false);
            message.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Mirror request to {Cluster} failed: {Error}")]
        public static partial void MirrorFailed(ILogger logger, string cluster, string error);
    }
}
