using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Sidecar.Bookinfo.Contracts;
using Sidecar.Bookinfo.Hosting;

namespace Sidecar.Bookinfo.Roles;

/// <summary>
/// Answers any method and path: with <c>?size=N</c> (or <c>--payload-bytes N</c>) a body of N bytes cut from a
/// buffer filled once, for load tests; otherwise a JSON description of the request, for checking what a proxy
/// forwarded. Request bodies are read to the end and counted either way. Bypasses routing: it is the whole app.
/// </summary>
internal sealed class EchoRole
{
    /// <summary>The largest <c>?size</c> honoured, so a typo cannot make the backend stream gigabytes.</summary>
    public const int MaxPayloadBytes = 64 * 1024 * 1024;

    private const string OctetStream = "application/octet-stream";
    private const string Json = "application/json";
    private const int MinBufferBytes = 64 * 1024;

    private static readonly byte[] HealthBody = """{"status":"Echo is healthy"}"""u8.ToArray();

    private readonly WorkloadOptions _options;
    private readonly byte[] _payload;

    public EchoRole(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _payload = CreatePayload(Math.Max(options.PayloadBytes, MinBufferBytes));
    }

    public Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.Path.Value == "/health" && HttpMethods.IsGet(request.Method))
        {
            return WriteAsync(context.Response, Json, HealthBody);
        }

        var size = RequestedSize(request.QueryString.Value) ?? (_options.PayloadBytes > 0 ? _options.PayloadBytes : -1);
        return size >= 0 ? WritePayloadAsync(context, size) : WriteDescriptionAsync(context);
    }

    /// <summary>The <c>size</c> query parameter, parsed without building the query collection.</summary>
    internal static int? RequestedSize(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        var rest = query.AsSpan();
        if (rest[0] == '?')
        {
            rest = rest[1..];
        }

        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('&');
            var pair = end < 0 ? rest : rest[..end];
            if (pair.StartsWith("size=", StringComparison.Ordinal)
                && int.TryParse(pair[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                return Math.Min(size, MaxPayloadBytes);
            }

            rest = end < 0 ? default : rest[(end + 1)..];
        }

        return null;
    }

    private async Task WritePayloadAsync(HttpContext context, int size)
    {
        await DrainAsync(context).ConfigureAwait(false);
        var response = context.Response;
        response.ContentType = OctetStream;
        response.ContentLength = size;
        var remaining = size;
        while (remaining > 0)
        {
            var chunk = Math.Min(remaining, _payload.Length);
            await response.BodyWriter.WriteAsync(_payload.AsMemory(0, chunk), context.RequestAborted).ConfigureAwait(false);
            remaining -= chunk;
        }
    }

    private async Task WriteDescriptionAsync(HttpContext context)
    {
        var bodyBytes = await DrainAsync(context).ConfigureAwait(false);
        var request = context.Request;
        // Names in lower case, as HTTP/2 carries them, so callers find a header whatever case HTTP/1.1 used.
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.Ordinal);
        foreach (var header in request.Headers)
        {
            headers[header.Key.ToLowerInvariant()] = header.Value.ToString();
        }

        var reply = new EchoReply(
            _options.Name,
            _options.Version,
            request.Method,
            request.Path.Value ?? "/",
            request.Host.Value ?? string.Empty,
            request.QueryString.Value ?? string.Empty,
            request.Protocol,
            headers,
            bodyBytes);
        await WriteAsync(context.Response, Json, JsonSerializer.SerializeToUtf8Bytes(reply, BookinfoJsonContext.Default.EchoReply))
            .ConfigureAwait(false);
    }

    private static async ValueTask<long> DrainAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return 0;
        }

        PipeReader reader = context.Request.BodyReader;
        long total = 0;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            total += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return total;
            }
        }
    }

    private static async Task WriteAsync(HttpResponse response, string contentType, byte[] body)
    {
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        await response.BodyWriter.WriteAsync(body).ConfigureAwait(false);
    }

    /// <summary>Printable bytes, so a payload is readable in a capture or a terminal.</summary>
    private static byte[] CreatePayload(int length)
    {
        var payload = GC.AllocateUninitializedArray<byte>(length);
        ReadOnlySpan<byte> pattern = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n"u8;
        for (var offset = 0; offset < length; offset += pattern.Length)
        {
            pattern[..Math.Min(pattern.Length, length - offset)].CopyTo(payload.AsSpan(offset));
        }

        return payload;
    }
}
