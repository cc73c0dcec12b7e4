using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Evaluates Telemetry tag expressions over a finished request, with the values Envoy's attributes have:
/// <c>request.path</c> with its query, addresses as <c>ip:port</c> (<c>[ip]:port</c> for IPv6), and <c>unknown</c> where the attribute is
/// absent (a missing header: the expression fails, and istio's stats plugin reports unknown).
/// </summary>
internal static class MetricTagEvaluator
{
    public static RequestTagValues Evaluate(MetricTagExpression[] expressions, HttpContext context, RequestState state)
    {
        var values = new string[expressions.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Evaluate(expressions[i], context, state) ?? IstioLabelNames.Unknown;
        }

        return new RequestTagValues(values);
    }

    /// <summary>The attribute's value for the request; null when absent (a CEL evaluation error).</summary>
    public static string? Evaluate(MetricTagExpression expression, HttpContext context, RequestState state)
    {
        var request = context.Request;
        return expression.Source switch
        {
            MetricTagSource.Literal => expression.Argument,
            MetricTagSource.RequestHost => request.Host.Value,
            MetricTagSource.RequestMethod => request.Method,
            MetricTagSource.RequestPath => (state.RewrittenPath ?? request.Path.Value) + request.QueryString.Value,
            MetricTagSource.RequestUrlPath => state.RewrittenPath ?? request.Path.Value,
            MetricTagSource.RequestScheme => request.Scheme,
            MetricTagSource.RequestProtocol => request.Protocol,
            MetricTagSource.RequestId => state.RequestId,
            MetricTagSource.RequestUserAgent => Header(request, state, "user-agent"),
            MetricTagSource.RequestReferer => Header(request, state, "referer"),
            MetricTagSource.RequestHeader => Header(request, state, expression.Argument),
            MetricTagSource.ResponseCode => context.Response.StatusCode.ToString(CultureInfo.InvariantCulture),
            MetricTagSource.DestinationAddress => state.DownstreamLocalEndpoint?.ToString(),
            MetricTagSource.DestinationPort => state.DownstreamLocalEndpoint?.Port.ToString(CultureInfo.InvariantCulture),
            MetricTagSource.SourceAddress => context.Connection.RemoteIpAddress is { } remote ? new IPEndPoint(remote, context.Connection.RemotePort).ToString() : null,
            MetricTagSource.SourcePort => context.Connection.RemotePort.ToString(CultureInfo.InvariantCulture),
            MetricTagSource.ClusterName => state.Cluster?.Name,
            MetricTagSource.RouteName => state.Route?.Config.Name,
            _ => null,
        };
    }

    // A value's bytes read as UTF-8 (HeaderValueEncoding), as Envoy's label holds the bytes.
    private static string? Header(HttpRequest request, RequestState state, string name) =>
        RequestIds.TryGetHeader(request, state, name, out var value) ? HeaderValueEncoding.ToText(value.ToString()) : null;
}
