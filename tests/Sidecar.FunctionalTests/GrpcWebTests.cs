using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// A <c>grpc-web</c> port (Istio's protocol by port name or appProtocol) on a real sidecar: istiod gives its connection
/// manager Envoy's <c>grpc_web</c> filter, so a browser's gRPC-Web call reaches a plain gRPC server (h2c, Kestrel)
/// as gRPC and its answer comes back as gRPC-Web, trailers in the body's last frame.
/// </summary>
public sealed class GrpcWebTests : IAsyncLifetime
{
    private const int Port = 9090;
    private readonly ConcurrentQueue<(string Path, string ContentType, string Te, string Protocol, byte[] Body)> _received = new();
    private WebApplication _server = null!;
    private int _serverPort;
    private ConfigDirectory _config = null!;
    private SidecarProcess _sidecar = null!;
    private IPAddress _bind = null!;

    public async Task InitializeAsync()
    {
        _serverPort = FreePort.Get();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _serverPort, listen => listen.Protocols = HttpProtocols.Http2));
        _server = builder.Build();
        _server.Run(ServeAsync);
        await _server.StartAsync();

        _bind = LoopbackAddresses.Next();
        _config = new ConfigDirectory();
        _config.Write("sidecar.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: ingress, namespace: default}
            spec:
              ingress:
              - port: {number: {{Port}}, protocol: GRPC-Web, name: grpc-web}
                bind: {{_bind}}
                defaultEndpoint: 127.0.0.1:{{_serverPort}}
            """);
        _sidecar = await SidecarProcess.StartAsync(_config.Path, _bind);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        _config.Dispose();
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_binary_gRPC_Web_call_reaches_the_server_as_gRPC_and_its_trailers_come_back_as_the_last_frame()
    {
        using var response = await CallAsync("/echo.Echo/Say", "application/grpc-web+proto", Frame(0, "hello"u8.ToArray()));

        // Upstream: gRPC over HTTP/2, Envoy's grpc_web request headers.
        var received = Assert.Single(_received, r => Encoding.UTF8.GetString(r.Body.AsSpan(5)) == "hello");
        Assert.Equal(("application/grpc", "trailers", "HTTP/2"), (received.ContentType, received.Te, received.Protocol));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc-web+proto", response.Content.Headers.ContentType?.ToString());
        Assert.False(response.Content.Headers.NonValidated.Contains("Content-Length"));
        var frames = Frames(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, frames.Count);
        Assert.Equal((0, "echo: hello"), (frames[0].Flags, Encoding.UTF8.GetString(frames[0].Payload)));
        Assert.Equal(GrpcWebTrailerFlag, frames[1].Flags);
        Assert.Equal(["grpc-message:done", "grpc-status:0"], TrailerLines(frames[1].Payload));
        Assert.False(response.TrailingHeaders.Any());

        // The metrics read the status the trailers frame carried, as Envoy's stats filter reads the trailer before grpc_web encodes it.
        await Wait.UntilAsync(
            async () => (await Telemetry.PrometheusScrape.GetAsync($"http://{_bind}:15090/stats/prometheus"))
                .Any(s => s.Name == "istio_requests_total" && s.Has(("reporter", "destination"), ("request_protocol", "grpc"), ("grpc_response_status", "0"))),
            TimeSpan.FromSeconds(10),
            "istio_requests_total with the call's grpc_response_status");
    }

    [Fact]
    public async Task A_text_call_is_base64_both_ways_each_response_frame_encoded_on_its_own()
    {
        var body = Encoding.ASCII.GetBytes(Convert.ToBase64String(Frame(0, "text"u8.ToArray())));
        using var response = await CallAsync("/echo.Echo/Say", "application/grpc-web-text", body, accept: "application/grpc-web-text");

        Assert.Contains(_received, r => Encoding.UTF8.GetString(r.Body.AsSpan(5)) == "text");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc-web-text+proto", response.Content.Headers.ContentType?.ToString());

        // Two base64 blocks, each padded: the data frame, then the trailers frame.
        var text = await response.Content.ReadAsStringAsync();
        var first = Convert.ToBase64String(Frame(0, "echo: text"u8.ToArray()));
        Assert.StartsWith(first, text, StringComparison.Ordinal);
        var trailers = Frames(Convert.FromBase64String(text[first.Length..]));
        Assert.Equal(GrpcWebTrailerFlag, Assert.Single(trailers).Flags);
        Assert.Contains("grpc-status:0", TrailerLines(trailers[0].Payload));
    }

    [Fact]
    public async Task A_response_that_is_not_gRPC_becomes_a_gRPC_Web_status_with_its_body_as_the_message()
    {
        using var response = await CallAsync("/not-grpc", "application/grpc-web+proto", Frame(0, "x"u8.ToArray()));

        // Envoy's grpc_web: the HTTP status mapped (404 is UNIMPLEMENTED), the body percent-encoded into grpc-message.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("12", response.Headers.GetValues("grpc-status").Single());
        Assert.Equal("<h1>no such page</h1>%0A", response.Headers.GetValues("grpc-message").Single());
        Assert.Equal("application/grpc-web+proto", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_text_body_that_is_not_base64_never_reaches_the_server()
    {
        var path = $"/echo.Echo/{Guid.NewGuid():N}";
        using var response = await CallAsync(path, "application/grpc-web-text", "not base64!"u8.ToArray());

        // Had the bad body gone through undecoded, the server would have answered it (200) and recorded its path;
        // a valid call answered afterwards shows the server was reachable and recording.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using (var after = await CallAsync("/echo.Echo/Say", "application/grpc-web+proto", Frame(0, "after"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        Assert.Contains(_received, r => Encoding.UTF8.GetString(r.Body.AsSpan(5)) == "after");
        Assert.DoesNotContain(_received, r => r.Path == path);
    }

    private const byte GrpcWebTrailerFlag = 0x80;

    private async Task<HttpResponseMessage> CallAsync(string path, string contentType, byte[] body, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{_bind}:{Port}{path}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("x-grpc-web", "1");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("accept", accept);
        }

        return await _sidecar.Client.SendAsync(request);
    }

    /// <summary>A gRPC server as Kestrel runs one: reads the request's frames, answers one frame and the status in trailers.</summary>
    private async Task ServeAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        _received.Enqueue((context.Request.Path.Value ?? "", context.Request.ContentType ?? "", context.Request.Headers.TE.ToString(), context.Request.Protocol, body));
        if (context.Request.Path == "/not-grpc")
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<h1>no such page</h1>\n");
            return;
        }

        context.Response.ContentType = "application/grpc";
        var reply = Encoding.UTF8.GetBytes("echo: " + Encoding.UTF8.GetString(body.AsSpan(5)));
        await context.Response.Body.WriteAsync(Frame(0, reply));
        context.Response.AppendTrailer("grpc-status", "0");
        context.Response.AppendTrailer("grpc-message", "done");
    }

    /// <summary>The trailers frame's <c>name:value</c> lines (each ends in CRLF), sorted: the order is the server's.</summary>
    private static string[] TrailerLines(byte[] payload)
    {
        var text = Encoding.UTF8.GetString(payload);
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
        return [.. text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];
    }

    private static byte[] Frame(byte flags, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static List<(byte Flags, byte[] Payload)> Frames(byte[] body)
    {
        var frames = new List<(byte, byte[])>();
        for (var offset = 0; offset < body.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + 1));
            frames.Add((body[offset], body.AsSpan(offset + 5, length).ToArray()));
            offset += 5 + length;
        }

        return frames;
    }
}
