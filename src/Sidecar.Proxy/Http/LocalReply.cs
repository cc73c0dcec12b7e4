using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Responses the sidecar writes itself (Envoy's local replies), in one place: Envoy's status, response flag and
/// body text. For gRPC requests the reply becomes a trailers-only gRPC response (HTTP 200 with <c>grpc-status</c>),
/// mapping the HTTP status as Envoy does.
/// </summary>
internal static class LocalReply
{
    public static readonly byte[] NoHealthyUpstream = "no healthy upstream"u8.ToArray();
    public static readonly byte[] UpstreamRequestTimeout = "upstream request timeout"u8.ToArray();
    public static readonly byte[] ConnectionTermination = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"u8.ToArray();
    public static readonly byte[] ConnectionTerminationRetried = "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection termination"u8.ToArray();
    public static readonly byte[] RemoteReset = "upstream connect error or disconnect/reset before headers. reset reason: remote reset"u8.ToArray();
    public static readonly byte[] RemoteRefusedStream = "upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset"u8.ToArray();
    public static readonly byte[] Overflow = "upstream connect error or disconnect/reset before headers. reset reason: overflow"u8.ToArray();
    public static readonly byte[] ProtocolError = "upstream connect error or disconnect/reset before headers. reset reason: protocol error"u8.ToArray();
    public static readonly byte[] FaultAbort = "fault filter abort"u8.ToArray();
    public static readonly byte[] NotReady = "no configuration has been received yet"u8.ToArray();

    /// <summary>The body Envoy's RBAC filter answers a denied request with (AuthorizationPolicy).</summary>
    public static readonly byte[] RbacAccessDenied = "RBAC: access denied"u8.ToArray();

    /// <summary>Writes a local reply unless the response has already started (then the connection is reset).</summary>
    public static Task WriteAsync(HttpContext context, RequestState state, int status, ResponseFlags flags, byte[]? body, int? grpcStatus = null)
    {
        state.Flags |= flags;
        var response = context.Response;
        if (response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        var headers = response.Headers;
        state.WriteServerHeader(headers);
        state.WriteResponseFlagsHeader(headers);
        state.Telemetry.MetadataReply?.WriteTo(headers);
        if ((flags & ResponseFlags.UpstreamOverflow) != 0 && !state.ProxyHeaders.EnvoyDebugHeadersDisabled)
        {
            headers[ProxyHeaders.Overloaded] = "true";
        }

        // The router's replies pass through the CORS filter; the fault filter's come before it and carry nothing.
        state.ApplyCorsHeaders(headers);
        if (state.JwtFailure is not null)
        {
            // Envoy's jwt_authn names the resource (the URL without its query) and the error (RFC 6750).
            var request = context.Request;
            headers.WWWAuthenticate = $"Bearer realm=\"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}\", error=\"invalid_token\"";
        }

        if (IsGrpc(context.Request))
        {
            response.StatusCode = StatusCodes.Status200OK;
            headers.ContentType = "application/grpc";
            headers[ProxyHeaders.GrpcStatus] = GrpcStatusText(grpcStatus ?? GrpcStatusFromHttp(status));
            if (body is { Length: > 0 })
            {
                headers[ProxyHeaders.GrpcMessage] = PercentEncodeGrpcMessage(body);
            }

            return Task.CompletedTask;
        }

        response.StatusCode = status;
        if (state.ExtAuthzDenial is { } denial)
        {
            // The authorization service's own headers (a Location, its content type) reach the client.
            foreach (var (name, value) in denial.ClientHeaders)
            {
                headers.Append(name, value);
            }
        }

        if (body is null || body.Length == 0)
        {
            response.ContentLength = 0;
            return Task.CompletedTask;
        }

        if (string.IsNullOrEmpty(headers.ContentType))
        {
            headers.ContentType = "text/plain";
        }

        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }

    /// <summary>Whether the request is gRPC by its content type (<see cref="IsGrpcContentType"/>).</summary>
    public static bool IsGrpc(HttpRequest request) => IsGrpcContentType(request.ContentType);

    /// <summary>
    /// Envoy's <c>Grpc::Common::hasGrpcContentType</c>: <c>application/grpc</c>, alone or followed by <c>+</c> or
    /// <c>;</c>. gRPC-Web (<c>application/grpc-web...</c>) is not gRPC until the grpc_web filter has made it so.
    /// </summary>
    public static bool IsGrpcContentType(string? type) =>
        type is not null && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (type.Length == 16 || type[16] is '+' or ';');

    /// <summary>Envoy's <c>Grpc::Utility::httpToGrpcStatus</c>.</summary>
    public static int GrpcStatusFromHttp(int status) => status switch
    {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 or 502 or 503 or 504 => 14,
        _ => 2,
    };

    private static string GrpcStatusText(int status) => status switch
    {
        2 => "2",
        4 => "4",
        7 => "7",
        12 => "12",
        13 => "13",
        14 => "14",
        16 => "16",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// gRPC's percent-encoding of <c>grpc-message</c>, as Envoy's <c>PercentEncoding::encode</c> writes it: bytes outside
    /// the printable ASCII range and <c>%</c> become <c>%XX</c>; spaces and the rest stay as they are.
    /// </summary>
    internal static string PercentEncodeGrpcMessage(ReadOnlySpan<byte> utf8)
    {
        var text = new StringBuilder(utf8.Length);
        foreach (var b in utf8)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
