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

namespace Sidecar.LoadHarness.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1, port 0, that answers with <c>respond</c> and remembers what it saw: the
/// connections used, the protocols, the Host headers and the request body sizes.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUri { get; private set; } = null!;

    public ConcurrentDictionary<string, int> Connections { get; } = new();

    public ConcurrentBag<string> Protocols { get; } = [];

    public ConcurrentBag<string> Hosts { get; } = [];

    public ConcurrentBag<long> BodyBytes { get; } = [];

    public static async Task<TestBackend> StartAsync(HttpProtocols protocols, Func<HttpContext, Task>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols));
        var app = builder.Build();
        var backend = new TestBackend(app);
        respond ??= static context => context.Response.WriteAsync("ok");
        app.Run(async context =>
        {
            backend.Connections.AddOrUpdate(context.Connection.Id, 1, static (_, count) => count + 1);
            backend.Protocols.Add(context.Request.Protocol);
            backend.Hosts.Add(context.Request.Host.Value ?? string.Empty);
            long bytes = 0;
            var buffer = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                bytes += read;
            }

            backend.BodyBytes.Add(bytes);
            await respond(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.BaseUri = new Uri(address + "/");
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
