using System.Net;
using Microsoft.AspNetCore.Builder;
using Sidecar.Bookinfo.Hosting;

namespace Sidecar.Bookinfo.Tests.Infrastructure;

/// <summary>One bookinfo workload running in-process on 127.0.0.1, port 0, as the executable builds it.</summary>
internal sealed class BookinfoHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BookinfoHost(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public static async Task<BookinfoHost> StartAsync(
        WorkloadRole role,
        string version = "v1",
        Uri? upstream = null,
        int payloadBytes = 0,
        bool http2Only = false,
        string? name = null)
    {
        var options = new WorkloadOptions(
            role,
            version,
            new IPEndPoint(IPAddress.Loopback, 0),
            name ?? BookinfoCommandLine.RoleName(role),
            upstream,
            payloadBytes,
            http2Only);
        var app = BookinfoApp.Build(options);
        await app.StartAsync();
        return new BookinfoHost(app, new Uri(BookinfoApp.BoundAddress(app) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
