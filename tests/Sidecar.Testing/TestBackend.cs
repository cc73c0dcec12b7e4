using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecar.Testing;

/// <summary>A request as a <see cref="TestBackend"/> received it.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, string Host, IReadOnlyDictionary<string, string> Headers, byte[] Body, string Protocol)
{
    /// <summary>The request target as it arrived, before Kestrel decoded the path (what the proxy forwarded).</summary>
    public string RawTarget { get; init; } = "";
}

/// <summary>
/// A real Kestrel server on loopback (port 0 unless given) standing in for an application: it records every
/// request and answers with a handler the test supplies (by default 200 naming itself).
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();

    private TestBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The TCP address served; unset for a backend on a unix domain socket.</summary>
    public IPEndPoint EndPoint { get; private set; } = null!;

    public int Port => EndPoint.Port;

    public string Address => EndPoint.Address.ToString();

    public IReadOnlyCollection<ReceivedRequest> Received => _received;

    public int RequestCount => _received.Count;

    /// <summary>Raised for every request received, after it is recorded.</summary>
    public event Action<ReceivedRequest>? RequestReceived;

    /// <summary>
    /// Starts a backend; <paramref name="handler"/> writes the response (default: 200 with <c>name</c>). With
    /// <paramref name="bufferBody"/> false the handler reads the body itself (streaming) and it is not recorded.
    /// </summary>
    public static async Task<TestBackend> StartAsync(
        string name,
        Func<HttpContext, ReceivedRequest, Task>? handler = null,
        IPAddress? address = null,
        int port = 0,
        HttpProtocols protocols = HttpProtocols.Http1,
        System.Net.Sockets.Socket? listenSocket = null,
        bool bufferBody = true,
        string? unixSocketPath = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MinRequestBodyDataRate = null;
            if (listenSocket is not null)
            {
                // A socket bound elsewhere (inside a pod's network namespace): Kestrel serves its handle.
                kestrel.ListenHandle((ulong)listenSocket.Handle, listen => listen.Protocols = protocols);
            }
            else if (unixSocketPath is not null)
            {
                // An application on a unix domain socket (Istio's `unix://` endpoints).
                kestrel.ListenUnixSocket(unixSocketPath, listen => listen.Protocols = protocols);
            }
            else
            {
                kestrel.Listen(address ?? IPAddress.Loopback, port, listen => listen.Protocols = protocols);
            }
        });
        var app = builder.Build();
        var backend = new TestBackend(app, name);
        app.UseWebSockets();
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            if (bufferBody && !context.WebSockets.IsWebSocketRequest)
            {
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            }

            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var received = new ReceivedRequest(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? "",
                context.Request.Host.Value ?? "", headers, body.ToArray(), context.Request.Protocol)
            {
                RawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "",
            };
            backend._received.Enqueue(received);
            backend.RequestReceived?.Invoke(received);
            context.Response.Headers["x-backend"] = name;
            if (handler is not null)
            {
                await handler(context, received);
            }
            else
            {
                await context.Response.WriteAsync(name);
            }
        });
        await app.StartAsync();
        if (unixSocketPath is not null)
        {
            return backend;
        }

        if (listenSocket is not null)
        {
            backend.EndPoint = (IPEndPoint)listenSocket.LocalEndPoint!;
            return backend;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound);
        backend.EndPoint = new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
