using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sidecar.Bookinfo.Outbound;
using Sidecar.Bookinfo.Roles;

namespace Sidecar.Bookinfo.Hosting;

/// <summary>Builds the Kestrel app for one workload; the command line and the tests both start it through here.</summary>
internal static class BookinfoApp
{
    public static WebApplication Build(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.Listen, listen =>
            {
                // Kestrel negotiates HTTP/2 only through TLS ALPN: a cleartext Http1AndHttp2 endpoint serves HTTP/1.1
                // alone. h2c with prior knowledge needs an Http2-only endpoint, hence --h2c.
                listen.Protocols = options.Http2Only ? HttpProtocols.Http2 : HttpProtocols.Http1;
            });
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(static services =>
            new ServiceClient(services.GetRequiredService<WorkloadOptions>().Upstream, services.GetRequiredService<ILogger<ServiceClient>>()));

        var app = builder.Build();
        app.UseWorkloadHeader(options.Workload);
        var services = app.Services.GetRequiredService<ServiceClient>();
        switch (options.Role)
        {
            case WorkloadRole.ProductPage:
                new ProductPageRole(services).Map(app);
                break;
            case WorkloadRole.Details:
                DetailsRole.Map(app);
                break;
            case WorkloadRole.Reviews:
                new ReviewsRole(options, services).Map(app);
                break;
            case WorkloadRole.Ratings:
                RatingsRole.Map(app);
                break;
            case WorkloadRole.Echo:
                app.Run(new EchoRole(options).HandleAsync);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Role, "unknown role");
        }

        app.Lifetime.ApplicationStarted.Register(() => Log.Listening(
            app.Logger,
            options.Workload,
            options.Role,
            BoundAddress(app),
            options.Upstream?.ToString() ?? "direct"));
        return app;
    }

    /// <summary>The address Kestrel bound, with the real port when <c>--listen</c> asked for port 0.</summary>
    public static string BoundAddress(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses?.FirstOrDefault() ?? string.Empty;
    }
}
