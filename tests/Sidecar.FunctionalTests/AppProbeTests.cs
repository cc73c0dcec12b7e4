using System.Net;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// pilot-agent's application probes: the injector rewrites an app's liveness, readiness and startup probes to the
/// status port's <c>/app-health/&lt;container&gt;/...</c> and passes the originals in <c>ISTIO_KUBE_APP_PROBERS</c>;
/// the sidecar runs each against the app and answers with the outcome.
/// </summary>
public sealed class AppProbeTests
{
    [Fact]
    public async Task The_status_port_runs_the_apps_http_tcp_and_grpc_probes()
    {
        await using var app = await TestBackend.StartAsync("app", (context, _) => context.Request.Path.Value switch
        {
            "/healthz" => context.Response.WriteAsync("alive " + context.Request.Headers["x-probe"]),
            "/moved" => Redirect(context),
            _ => Fail(context),
        });
        await using var grpc = await StartGrpcHealthAsync();
        var closedPort = FreePort.Get();
        // Probes that must succeed get a 10 s timeoutSeconds rather than the kubelet's default 1 s: a probe's first
        // HTTP or gRPC call in the JIT-compiled test build can take longer than a second on a busy machine.
        var probers = $$$"""
            {
              "/app-health/app/livez": {"httpGet": {"path": "/healthz", "port": {{{app.Port}}}, "scheme": "HTTP"}, "timeoutSeconds": 10},
              "/app-health/app/readyz": {"tcpSocket": {"port": {{{app.Port}}}}, "timeoutSeconds": 10},
              "/app-health/app/startupz": {"httpGet": {"path": "/broken", "port": "{{{app.Port}}}"}, "timeoutSeconds": 10},
              "/app-health/moved/livez": {"httpGet": {"path": "moved", "port": {{{app.Port}}}}, "timeoutSeconds": 10},
              "/app-health/db/readyz": {"tcpSocket": {"port": {{{closedPort}}}}},
              "/app-health/rpc/livez": {"grpc": {"port": {{{grpc.Port}}}}, "timeoutSeconds": 10},
              "/app-health/rpc/readyz": {"grpc": {"port": {{{grpc.Port}}}, "service": "orders"}, "timeoutSeconds": 10}
            }
            """;
        using var config = new ConfigDirectory();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, environment: new Dictionary<string, string> { ["ISTIO_KUBE_APP_PROBERS"] = probers });
        var status = $"http://{sidecar.Bind}:15020";

        // The kubelet's headers reach the app (a probe's httpHeaders arrive as such), and the app's body comes back.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{status}/app-health/app/livez");
        request.Headers.Add("x-probe", "kubelet");
        using var live = await sidecar.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("alive kubelet", await live.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await sidecar.Client.GetAsync($"{status}/app-health/app/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await sidecar.Client.GetAsync($"{status}/app-health/app/startupz")).StatusCode); // the app's own 500
        Assert.Equal(HttpStatusCode.OK, (await sidecar.Client.GetAsync($"{status}/app-health/moved/livez")).StatusCode); // a redirect is success
        Assert.Equal(HttpStatusCode.InternalServerError, (await sidecar.Client.GetAsync($"{status}/app-health/db/readyz")).StatusCode); // nothing listens
        Assert.Equal(HttpStatusCode.OK, (await sidecar.Client.GetAsync($"{status}/app-health/rpc/livez")).StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, (await sidecar.Client.GetAsync($"{status}/app-health/rpc/readyz")).StatusCode); // NOT_SERVING

        using var unknown = await sidecar.Client.GetAsync($"{status}/app-health/other/livez");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("app prober config does not exists for /app-health/other/livez", await unknown.Content.ReadAsStringAsync());
    }

    private static Task Redirect(HttpContext context)
    {
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = "/healthz";
        return Task.CompletedTask;
    }

    private static Task Fail(HttpContext context)
    {
        context.Response.StatusCode = 500;
        return context.Response.WriteAsync("broken");
    }

    /// <summary>A gRPC health service (grpc.health.v1.Health): the whole server SERVING, service "orders" NOT_SERVING.</summary>
    private static async Task<GrpcHealthServer> StartGrpcHealthAsync()
    {
        var health = new HealthServiceImpl();
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus("orders", HealthCheckResponse.Types.ServingStatus.NotServing);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(health);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<HealthServiceImpl>();
        await app.StartAsync();
        return new GrpcHealthServer(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port);
    }

    private sealed class GrpcHealthServer(WebApplication app, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
