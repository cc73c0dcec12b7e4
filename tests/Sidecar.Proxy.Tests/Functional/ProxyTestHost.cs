using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>
/// The data plane in-process, on its own loopback address with Istio's ports, fed snapshots directly: the
/// functional tests of the hot path (the YAML source and the process are covered by Sidecar.FunctionalTests).
/// </summary>
internal sealed class ProxyTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProxyTestHost(WebApplication app, ProxyOptions options)
    {
        _app = app;
        Options = options;
        Store = app.Services.GetRequiredService<ProxyConfigStore>();
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://{options.BindAddress}:{options.OutboundPort}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public ProxyOptions Options { get; }

    public ProxyConfigStore Store { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>A client whose base address is the outbound listener (15001).</summary>
    public HttpClient Client { get; }

    public string AdminUrl => $"http://{Options.AdminBindAddress}:{Options.AdminPort}";

    public static async Task<ProxyTestHost> StartAsync(ProxyConfig? config, TimeProvider? time = null, Action<IServiceCollection>? services = null, Func<ProxyOptions, ProxyOptions>? options = null)
    {
        // No drain period: a test host stops at once (its in-flight requests get the second after it).
        var defaults = new ProxyOptions { BindAddress = LoopbackAddresses.Next(), DrainDuration = TimeSpan.Zero };
        var proxyOptions = options?.Invoke(defaults) ?? defaults;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddSidecarProxy(proxyOptions);
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureSidecarEndpoints(proxyOptions));
        var app = builder.Build();
        app.UseSidecarProxy();
        var host = new ProxyTestHost(app, proxyOptions);
        if (config is not null)
        {
            Assert.Empty(host.Store.TryPublish(config));
        }

        await app.StartAsync();
        return host;
    }

    /// <summary>Sends a request to the outbound listener with <paramref name="authority"/> as its Host.</summary>
    public Task<HttpResponseMessage> SendAsync(string authority, string path = "/", HttpMethod? method = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Host = authority;
        configure?.Invoke(request);
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
