using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Http;

/// <summary>How a request speaks gRPC-Web: not at all, in binary, or base64-encoded (<c>application/grpc-web-text</c>).</summary>
internal enum GrpcWebMode
{
    None,
    Binary,
    Text,
}

/// <summary>
/// Envoy's <c>grpc_web</c> filter (istiod adds it for a <c>grpc-web</c> port): a gRPC-Web request goes upstream as
/// gRPC (content-type <c>application/grpc</c>, <c>te: trailers</c>, no content-length, a text body base64-decoded)
/// and its response comes back as gRPC-Web (<c>application/grpc-web+proto</c>, or <c>-text+proto</c> when the
/// caller accepts text, the body base64-encoded frame by frame), the trailers written as the body's last frame
/// (flag 0x80, then <c>name:value\r\n</c> lines). A response that is not gRPC becomes a gRPC-Web status: its HTTP
/// status as a gRPC status, its body (16 kB at most) as <c>grpc-message</c>, no body.
/// </summary>
internal static class GrpcWeb
{
    /// <summary>The flag of the trailers frame.</summary>
    public const byte TrailerFrame = 0x80;

    /// <summary>Envoy's MAX_BUFFERED_PLAINTEXT_LENGTH: how much of a non-gRPC body becomes the grpc-message.</summary>
    public const int MaxMessageBytes = 16384;

    private const string GrpcAcceptEncoding = "grpc-accept-encoding";
    private const string ProtoContentType = "application/grpc-web+proto";
    private const string TextProtoContentType = "application/grpc-web-text+proto";

    private static readonly Func<object, Task> BinaryResponseHeaders = response => SetResponseHeaders((HttpResponse)response, ProtoContentType);
    private static readonly Func<object, Task> TextResponseHeaders = response => SetResponseHeaders((HttpResponse)response, TextProtoContentType);

    /// <summary>The request's mode by its content-type, one of the four Envoy accepts.</summary>
    public static GrpcWebMode ModeOf(HttpRequest request) => request.ContentType switch
    {
        "application/grpc-web" or ProtoContentType => GrpcWebMode.Binary,
        "application/grpc-web-text" or TextProtoContentType => GrpcWebMode.Text,
        _ => GrpcWebMode.None,
    };

    /// <summary>
    /// Takes a gRPC-Web request on: records its mode, decodes a text body as it is read, and has the response's
    /// headers made gRPC-Web whoever answers (the upstream or the sidecar itself).
    /// </summary>
    public static void Begin(HttpContext context, RequestState state)
    {
        var request = context.Request;
        state.GrpcWeb = ModeOf(request);
        if (state.GrpcWeb == GrpcWebMode.None)
        {
            return;
        }

        var accept = request.Headers.Accept.ToString();
        state.GrpcWebTextResponse = accept is "application/grpc-web-text" or TextProtoContentType;

        // As Envoy's filter rewrites the request's headers: from here on it is a gRPC request (local replies, telemetry,
        // the access log, the upstream).
        request.ContentType = "application/grpc";
        request.Headers.TE = "trailers";
        if (!request.Headers.ContainsKey(GrpcAcceptEncoding))
        {
            request.Headers[GrpcAcceptEncoding] = "identity";
        }

        if (state.GrpcWeb == GrpcWebMode.Text)
        {
            request.Body = new GrpcWebTextRequestBody(request.Body);
        }

        context.Response.OnStarting(state.GrpcWebTextResponse ? TextResponseHeaders : BinaryResponseHeaders, context.Response);
    }

    /// <summary>
    /// The request as it goes upstream: <see cref="Begin"/> made its headers gRPC, which the forwarder copies; the
    /// length was the HTTP/1.1 body's (a text body shrinks, and HTTP/2 frames its own), and <c>te</c> is hop-by-hop,
    /// so both are settled here.
    /// </summary>
    public static void TransformRequest(HttpRequestMessage proxyRequest)
    {
        if (proxyRequest.Content is { } content)
        {
            content.Headers.ContentLength = null;
        }

        proxyRequest.Headers.Remove("TE");
        proxyRequest.Headers.TryAddWithoutValidation("TE", "trailers");
    }

    /// <summary>
    /// Whether the upstream answered in gRPC (Envoy's <c>isGrpcResponseHeaders</c>: a gRPC content type, or the status
    /// in the headers of a trailers-only answer) or already in proto-encoded gRPC-Web with 200: else its answer becomes
    /// a gRPC-Web status.
    /// </summary>
    public static bool IsGrpcResponse(HttpResponseMessage response)
    {
        var contentType = response.Content.Headers.ContentType?.MediaType;
        return LocalReply.IsGrpcContentType(contentType)
            || response.Headers.Contains(ProxyHeaders.GrpcStatus)
            || (response.StatusCode == System.Net.HttpStatusCode.OK
                && (string.Equals(contentType, "application/grpc-web", StringComparison.OrdinalIgnoreCase) || string.Equals(contentType, ProtoContentType, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// A response that is not gRPC, as Envoy's filter turns it into a gRPC-Web one: the HTTP status mapped to
    /// <c>grpc-status</c>, the body's first 16 kB percent-encoded into <c>grpc-message</c>, no body.
    /// </summary>
    public static async Task ToGrpcStatusAsync(HttpContext context, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        var body = ArrayPool<byte>.Shared.Rent(MaxMessageBytes);
        try
        {
            var length = 0;
            var stream = await proxyResponse.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int read;
            while (length < MaxMessageBytes && (read = await stream.ReadAsync(body.AsMemory(length, MaxMessageBytes - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            var response = context.Response;
            response.Headers[ProxyHeaders.GrpcStatus] = LocalReply.GrpcStatusFromHttp(response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers[ProxyHeaders.GrpcMessage] = LocalReply.PercentEncodeGrpcMessage(body.AsSpan(0, length));
            response.ContentLength = 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>The trailers frame: flag 0x80, the length (big-endian), then each trailer as <c>name:value\r\n</c>.</summary>
    public static byte[] TrailersFrame(IEnumerable<KeyValuePair<string, IEnumerable<string>>> trailers)
    {
        var text = new StringBuilder();
        foreach (var (name, values) in trailers)
        {
            foreach (var value in values)
            {
                text.Append(name.ToLowerInvariant()).Append(':').Append(value).Append("\r\n");
            }
        }

        var lines = text.ToString();
        var length = Encoding.UTF8.GetByteCount(lines);
        var frame = new byte[5 + length];
        frame[0] = TrailerFrame;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)length);
        Encoding.UTF8.GetBytes(lines, frame.AsSpan(5));
        return frame;
    }

    private static Task SetResponseHeaders(HttpResponse response, string contentType)
    {
        response.ContentType = contentType;

        // The body changes length (trailers become a frame, text is base64); a gRPC status made from a non-gRPC answer keeps its 0.
        if (response.ContentLength != 0)
        {
            response.ContentLength = null;
        }

        return Task.CompletedTask;
    }
}
