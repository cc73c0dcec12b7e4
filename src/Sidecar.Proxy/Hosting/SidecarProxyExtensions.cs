using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sidecar.Model;
using Sidecar.Proxy.Admin;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy;

/// <summary>Wires the data plane into a host: services, Kestrel endpoints and the request pipeline.</summary>
public static class SidecarProxyExtensions
{
    /// <summary>Registers the data plane. A <see cref="ProxyConfigStore"/> is shared with the config sources.</summary>
    public static IServiceCollection AddSidecarProxy(this IServiceCollection services, ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(options.Workload);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProxyConfigStore>();
        services.AddHttpForwarder();

        services.AddSingleton<RelayTransport>();
        services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<RelayTransport>());
        // Identity: the exe registers a CertificateStore when the sidecar has a CA or mounted certificates.
        services.AddSingleton(sp => new Security.WorkloadIdentity(sp.GetService<Identity.CertificateStore>(), options.Workload));
        services.AddSingleton<Security.UpstreamTlsOriginator>();
        services.AddSingleton<Security.DownstreamTlsTerminator>();
        services.AddSingleton(sp => new ClusterRegistry(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ClusterState>>(), sp.GetRequiredService<Security.UpstreamTlsOriginator>(),
            SourceAddress.LoopbackSourceFor(options.BindAddress)));
        services.AddSingleton<DataPlane>();
        services.AddSingleton<Tcp.TcpProxy>();
        services.AddSingleton<ConnectionDispatcher>();
        services.AddSingleton<ListenerManager>();
        services.AddHostedService(sp => sp.GetRequiredService<ListenerManager>());
        services.AddSingleton<ProxyReadiness>();
        services.AddSingleton<ConfigMemoryTrimmer>();
        services.AddHostedService(sp => sp.GetRequiredService<ConfigMemoryTrimmer>());
        services.AddSingleton<MirrorSender>();
        services.AddSingleton(sp => new Router(
            sp.GetRequiredService<IHttpForwarder>(),
            sp.GetRequiredService<MirrorSender>(),
            sp.GetRequiredService<TimeProvider>(),
            Random.Shared,
            sp.GetRequiredService<ILogger<Router>>(),
            options.ReplayBufferLimit));
        services.AddSingleton<ApplicationProbes>();
        services.AddSingleton<AdminHandler>();
        // Log levels the admin API's /logging changes: filter rules applied after the host's own.
        services.AddSingleton<RuntimeLogLevels>();
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>>(sp => sp.GetRequiredService<RuntimeLogLevels>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<RuntimeLogLevels>());
        services.AddSingleton<Telemetry.ProxyTelemetry>();
        services.AddSingleton<ProxyRequestHandler>();
        services.AddSingleton<DownstreamConnections>();
        // Kestrel's own refusals of requests it cannot parse, for the access log: its BadRequests log, to this provider only.
        services.AddSingleton<RelayedConnections>();
        services.AddSingleton<Telemetry.AccessLog.CodecRejections>();
        services.AddSingleton<ILoggerProvider>(sp => sp.GetRequiredService<Telemetry.AccessLog.CodecRejections>());
        services.Configure<LoggerFilterOptions>(filters => filters.Rules.Add(
            new LoggerFilterRule(typeof(Telemetry.AccessLog.CodecRejections).FullName, Telemetry.AccessLog.CodecRejections.Category, LogLevel.Debug, filter: null)));
        services.AddSingleton<TerminationDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<TerminationDrain>());
        if (options.Dns.Enabled)
        {
            services.AddSingleton(sp => new Dns.DnsProxyServer(options, sp.GetRequiredService<ProxyConfigStore>(),
                sp.GetRequiredService<Telemetry.ProxyTelemetry>().Registry, sp.GetRequiredService<ILogger<Dns.DnsProxyServer>>()));
            services.AddHostedService(sp => sp.GetRequiredService<Dns.DnsProxyServer>());
        }

        // The drain period, then a second for the listeners to close: like pilot-agent, which stops Envoy once the
        // period is over (waiting for zero connections has no bound of its own: the pod's grace period is it).
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ExitOnZeroActiveConnections ? TimeSpan.FromHours(1) : options.DrainDuration + TimeSpan.FromSeconds(1));
        return services;
    }

    /// <summary>
    /// Kestrel's endpoints: the two relay endpoints the data listeners hand HTTP connections to, and the admin,
    /// health and status ports. Limits follow Envoy's: no body size cap, no minimum data rates, 60 KiB of request
    /// headers (<c>max_request_headers_kb</c>, 431 above it), five minutes for a request's headers to arrive (the
    /// stream idle timeout) instead of Kestrel's 30 s.
    /// </summary>
    public static void ConfigureSidecarEndpoints(this KestrelServerOptions kestrel, ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        kestrel.AddServerHeader = false;
        // An absolute-form target (a request to an HTTP proxy) names the authority; its Host header is ignored
        // (RFC 9112 3.2.2), as Envoy's HTTP/1 codec takes :authority from the URL.
        kestrel.AllowHostHeaderOverride = true;
        // Header values are read and written as the bytes they are (Latin-1), so obs-text passes as Envoy passes it
        // where Kestrel's default would refuse a request with 400 and fail a response it forwards.
        kestrel.RequestHeaderEncodingSelector = HeaderValueEncoding.DownstreamRequest;
        kestrel.ResponseHeaderEncodingSelector = HeaderValueEncoding.DownstreamResponse;
        kestrel.Limits.MaxRequestBodySize = null;
        kestrel.Limits.MinRequestBodyDataRate = null;
        kestrel.Limits.MinResponseDataRate = null;
        kestrel.Limits.MaxRequestHeadersTotalSize = 60 * 1024;
        kestrel.Limits.Http2.MaxRequestHeaderFieldSize = 60 * 1024;
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromMinutes(5);
        kestrel.Limits.MaxRequestLineSize = 64 * 1024;
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromHours(1);
        kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
        kestrel.Listen(RelayEndPoint.Http1, listen => listen.Protocols = HttpProtocols.Http1);
        kestrel.Listen(RelayEndPoint.Http2, listen => listen.Protocols = HttpProtocols.Http2);
        kestrel.Listen(options.AdminBindAddress, options.AdminPort, listen => listen.Protocols = HttpProtocols.Http1);
        kestrel.Listen(options.BindAddress, options.HealthPort, listen => listen.Protocols = HttpProtocols.Http1);
        kestrel.Listen(options.BindAddress, options.StatusPort, listen => listen.Protocols = HttpProtocols.Http1);
        kestrel.Listen(options.BindAddress, options.StatsPort, listen => listen.Protocols = HttpProtocols.Http1);
    }

    /// <summary>Ends the pipeline with the sidecar's request handler.</summary>
    public static void UseSidecarProxy(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var handler = app.ApplicationServices.GetRequiredService<ProxyRequestHandler>();
        // Telemetry attaches itself to the router, the TCP proxy and the admin endpoints when first resolved.
        app.ApplicationServices.GetRequiredService<Telemetry.ProxyTelemetry>();
        app.Run(handler.HandleAsync);
    }

    /// <summary>True once a config is applied and the listeners are open (what <c>/healthz/ready</c> reports).</summary>
    public static bool IsSidecarReady(this IServiceProvider services) => services.GetRequiredService<ProxyReadiness>().IsReady;
}
