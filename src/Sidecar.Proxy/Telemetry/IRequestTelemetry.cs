using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry;

/// <summary>The router's and transformer's telemetry hooks: one call each at the points where telemetry needs the request.</summary>
internal interface IRequestTelemetry
{
    /// <summary>The request arrived (request id ensured, nothing routed yet): trace extraction, inbound peer metadata.</summary>
    void OnRequestStarted(HttpContext context, RequestState state);

    /// <summary>An attempt is about to go upstream: propagation and outbound peer metadata headers.</summary>
    void OnUpstreamRequest(HttpContext context, HttpRequestMessage upstreamRequest, RequestState state);

    /// <summary>The upstream's response headers were copied downstream: the peer metadata exchange on the response.</summary>
    void OnResponseHeaders(HttpContext context, RequestState state);

    /// <summary>The request is done: metrics, span end, access log.</summary>
    void OnRequestCompleted(HttpContext context, RequestState state);

    /// <summary>The codec or connection manager refused the request before any filter ran: the access log only, as in Envoy.</summary>
    void OnRequestRefused(HttpContext context, RequestState state);
}
