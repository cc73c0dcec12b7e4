using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.AccessLog;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A header value to add that names Envoy's operators, as Istio passes VirtualService <c>headers</c> values to
/// Envoy's <c>request_headers_to_add</c>/<c>response_headers_to_add</c> (<c>%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%</c>,
/// <c>%REQ(x-user)%</c>, <c>%START_TIME%</c>, <c>%HOSTNAME%</c>, ...). Formatted per request as Envoy's header
/// parser formats it: a value not known at that point is empty (the upstream is not chosen yet when request headers
/// are added), and a header whose whole value comes out empty is not added.
/// </summary>
internal sealed class HeaderValueFormat
{
    private readonly AccessLogSegment[] _segments;

    private HeaderValueFormat(AccessLogSegment[] segments) => _segments = segments;

    /// <summary>
    /// The format of <paramref name="value"/>, or null when it is text (then <paramref name="text"/> is it, <c>%%</c>
    /// unescaped). A value Envoy would refuse was refused with its config; if one arrives, it stays as written.
    /// </summary>
    public static HeaderValueFormat? Parse(string value, out string text)
    {
        text = value;
        if (!value.Contains('%', StringComparison.Ordinal) || AccessLogTemplate.ParseHeaderValue(value, out _) is not { } segments)
        {
            return null;
        }

        if (segments.All(s => s.Command == AccessLogCommand.Literal))
        {
            text = string.Concat(segments.Select(s => s.Argument));
            return null;
        }

        // Literal text is sent as its UTF-8 bytes, as every value from the config is (HeaderValueEncoding).
        return new HeaderValueFormat([.. segments.Select(s => s.Command == AccessLogCommand.Literal ? s with { Argument = HeaderValueEncoding.FromText(s.Argument) } : s)]);
    }

    /// <summary>The value for this request; <paramref name="response"/> when it is added to the response.</summary>
    public string Format(HttpContext context, RequestState? state, bool response)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var segment in _segments)
        {
            var value = Value(segment, context, state, response);
            builder.Append(value is not null && segment.MaxLength > 0 && value.Length > segment.MaxLength ? value[..segment.MaxLength] : value);
        }

        return builder.ToString();
    }

    private static string? Value(AccessLogSegment segment, HttpContext context, RequestState? state, bool response)
    {
        var request = context.Request;
        var upstream = response ? state?.Endpoint?.Key : null;
        return segment.Command switch
        {
            AccessLogCommand.Literal => segment.Argument,
            AccessLogCommand.StartTime when state is not null => segment.Argument.Length == 0
                ? state.StartTime.UtcDateTime.ToString(AccessLogFormatter.StartTimeFormat, CultureInfo.InvariantCulture)
                : EnvoyTimeFormat.Format(state.StartTime, segment.Argument),
            AccessLogCommand.RequestHeader => RequestHeader(request, segment.Argument) ?? (segment.Fallback is { } fallback ? RequestHeader(request, fallback) : null),
            AccessLogCommand.RequestHeaderWithoutQuery => (RequestHeader(request, segment.Argument) ?? (segment.Fallback is { } other ? RequestHeader(request, other) : null)) is { } path
                ? path.Split('?', 2)[0] : null,
            AccessLogCommand.ResponseHeader when response => context.Response.Headers.TryGetValue(segment.Argument, out var values) ? values.ToString() : null,
            AccessLogCommand.Protocol => request.Protocol,
            AccessLogCommand.ResponseCode when response => context.Response.StatusCode.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.ResponseFlags when response && state is not null => state.Flags.ToShortString(),
            AccessLogCommand.ResponseCodeDetails when response && state is not null => ResponseCodeDetails.For(state),
            AccessLogCommand.Duration when state is not null => ((long)state.Elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.UpstreamHost => upstream,
            AccessLogCommand.UpstreamRemoteAddressWithoutPort => AccessLogFormatter.UpstreamHostPart(upstream, port: false),
            AccessLogCommand.UpstreamRemotePort => AccessLogFormatter.UpstreamHostPart(upstream, port: true),
            AccessLogCommand.UpstreamLocalAddress when response => AccessLogFormatter.EndPointText(state?.UpstreamLocalAddress),
            AccessLogCommand.UpstreamCluster => state?.Cluster?.Name,
            AccessLogCommand.UpstreamRequestAttemptCount when response && state?.Endpoint is not null => (state.Retries + 1).ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.DownstreamLocalAddress => AccessLogFormatter.EndPointText(state?.DownstreamLocalEndpoint),
            AccessLogCommand.DownstreamLocalAddressWithoutPort => AccessLogFormatter.AddressOnly(state?.DownstreamLocalEndpoint?.Address),
            AccessLogCommand.DownstreamLocalPort => state?.DownstreamLocalEndpoint?.Port.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.DownstreamRemoteAddress => AccessLogFormatter.AddressText(context.Connection.RemoteIpAddress, context.Connection.RemotePort),
            AccessLogCommand.DownstreamRemoteAddressWithoutPort => AccessLogFormatter.AddressOnly(context.Connection.RemoteIpAddress),
            AccessLogCommand.DownstreamRemotePort => context.Connection.RemoteIpAddress is null ? null : context.Connection.RemotePort.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.DownstreamPeerUriSan => state?.Connection?.PeerPrincipal,
            AccessLogCommand.RouteName => state?.Route?.Config.Name,
            AccessLogCommand.RequestedServerName => state?.Connection?.ServerName,
            AccessLogCommand.Hostname => Environment.MachineName,
            AccessLogCommand.Environment => Environment.GetEnvironmentVariable(segment.Argument),
            AccessLogCommand.TraceId => state?.Telemetry.Span?.TraceId.ToHexString(),
            _ => null,
        };
    }

    /// <summary>A request header as <c>%REQ()%</c> names it: a header, or the pseudo-headers <c>:path</c>, <c>:method</c>, <c>:authority</c>, <c>:scheme</c>.</summary>
    private static string? RequestHeader(HttpRequest request, string name) => name switch
    {
        ":path" => request.Path.Value + request.QueryString.Value,
        ":method" => request.Method,
        ":authority" or "host" => RequestView.AuthorityOf(request),
        ":scheme" => request.Scheme,
        _ => request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null,
    };
}
