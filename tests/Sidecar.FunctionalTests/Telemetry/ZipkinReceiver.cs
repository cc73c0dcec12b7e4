using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>A real Zipkin v2 collector on loopback: JSON span arrays POSTed to <c>/api/v2/spans</c>.</summary>
internal sealed class ZipkinReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    private ZipkinReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public static async Task<ZipkinReceiver> StartAsync()
    {
        var port = Sidecar.Testing.FreePort.Get();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var receiver = new ZipkinReceiver(app, port);
        app.MapPost("/api/v2/spans", receiver.ReceiveAsync);
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        foreach (var span in document.RootElement.EnumerateArray())
        {
            var tags = span.TryGetProperty("tags", out var t) ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "") : [];
            _spans.Enqueue(new ReceivedSpan(
                span.GetProperty("traceId").GetString()!,
                span.GetProperty("id").GetString()!,
                span.TryGetProperty("parentId", out var parent) ? parent.GetString()! : "",
                span.TryGetProperty("name", out var name) ? name.GetString()! : "",
                span.TryGetProperty("kind", out var kind) && kind.GetString() == "CLIENT" ? 3 : 2,
                tags,
                span.GetProperty("localEndpoint").GetProperty("serviceName").GetString()!));
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
