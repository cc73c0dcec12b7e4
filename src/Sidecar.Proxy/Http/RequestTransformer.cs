using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>
/// YARP's transformer for one request: it copies each side as YARP does and applies the route's policies
/// (<see cref="RoutePolicies"/>) with the request's <see cref="RequestState"/> at hand. There is one per pooled
/// state, made once, so the hot path finds the state without a feature lookup and allocates nothing.
/// </summary>
internal sealed class RequestTransformer : HttpTransformer
{
    private readonly RoutePolicies _policies;
    private readonly RequestState _state;

    public RequestTransformer(RoutePolicies policies, RequestState state)
    {
        _policies = policies;
        _state = state;
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        _policies.TransformRequest(httpContext, proxyRequest, destinationPrefix, _state);
        if (_state.GrpcWeb != GrpcWebMode.None)
        {
            GrpcWeb.TransformRequest(proxyRequest);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        // No response: the router classifies the failure and decides about a retry.
        if (proxyResponse is null || !_policies.AcceptResponse(proxyResponse, _state))
        {
            return false;
        }

        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        _policies.TransformResponse(httpContext, _state);
        if (_state.GrpcWeb != GrpcWebMode.None)
        {
            if (!GrpcWeb.IsGrpcResponse(proxyResponse))
            {
                // Not gRPC (an HTML 404, say): the caller gets a gRPC-Web status instead of the body.
                await GrpcWeb.ToGrpcStatusAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
                return false;
            }

            if (_state.GrpcWebTextResponse)
            {
                httpContext.Response.Body = new GrpcWebTextResponseBody(httpContext.Response.Body);
            }
        }

        return true;
    }

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken) =>
        _state.GrpcWeb == GrpcWebMode.None
            ? base.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken)
            : WriteGrpcWebTrailersAsync(httpContext, proxyResponse, cancellationToken);

    /// <summary>gRPC-Web has no HTTP trailers: they go as the body's last frame (the status kept for telemetry, which reads trailers).</summary>
    private async ValueTask WriteGrpcWebTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse.TrailingHeaders.Any())
        {
            if (proxyResponse.TrailingHeaders.TryGetValues("grpc-status", out var status))
            {
                _state.GrpcWebTrailerStatus = status.FirstOrDefault();
            }

            await httpContext.Response.Body.WriteAsync(GrpcWeb.TrailersFrame(proxyResponse.TrailingHeaders), cancellationToken).ConfigureAwait(false);
        }
    }
}
