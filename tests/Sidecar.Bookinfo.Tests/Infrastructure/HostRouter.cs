using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sidecar.Bookinfo.Tests.Infrastructure;

/// <summary>
/// Stands where a standalone sidecar's outbound listener stands: a real HTTP server that forwards each request to
/// the backend registered for its Host header (502 when the backend cannot be reached, 404 for an unknown host),
/// and records what it forwarded.
/// </summary>
internal sealed class HostRouter : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false });
    private readonly ConcurrentDictionary<string, Uri> _routes = new(StringComparer.OrdinalIgnoreCase);

    private HostRouter(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Every request received, in order of arrival.</summary>
    public ConcurrentQueue<ForwardedRequest> Requests { get; } = new();

    public static async Task<HostRouter> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var router = new HostRouter(app);
        app.Run(router.ForwardAsync);
        await app.StartAsync();
        router.BaseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return router;
    }

    /// <summary>Routes requests with <c>Host: <paramref name="authority"/></c> to <paramref name="backend"/>.</summary>
    public void Route(string authority, Uri backend) => _routes[authority] = backend;

    public IReadOnlyList<ForwardedRequest> RequestsFor(string authority) =>
        Requests.Where(request => string.Equals(request.Host, authority, StringComparison.OrdinalIgnoreCase)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var host = context.Request.Host.Value ?? string.Empty;
        var headers = context.Request.Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue(new ForwardedRequest(host, context.Request.Path + context.Request.QueryString, headers));
        if (!_routes.TryGetValue(host, out var backend))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(backend, context.Request.Path + context.Request.QueryString));
        foreach (var (name, value) in headers)
        {
            if (!string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        try
        {
            using var response = await _client.SendAsync(request, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (!string.Equals(header.Key, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Headers[header.Key] = header.Value.ToArray();
                }
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }
    }
}

/// <summary>A request the router received: its Host, path and query, and headers.</summary>
internal sealed record ForwardedRequest(string Host, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);
