using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Istio;
using Sidecar.Model;
using Sidecar.Proxy;

namespace Sidecar.Hosting;

/// <summary>
/// Builds and runs the process: the data plane, the standalone config source, logging. Runs until SIGTERM or
/// SIGINT, then drains inbound connections for the drain duration while still serving (TerminationDrain), stops
/// accepting, lets in-flight requests finish, and exits.
/// </summary>
internal static class SidecarHost
{
    public static async Task<int> RunAsync(SidecarSettings settings, CancellationToken cancellationToken)
    {
        // SIGTERM or SIGINT at any time is a clean stop, as for Envoy and pilot-agent: once the host runs it drains
        // (the host's own handling); before that (the host building or starting, the first certificate awaited: a
        // pod deleted as it starts) it ends the start.
        using var terminating = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Terminate(context, terminating));
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Terminate(context, terminating));

        var concurrency = RuntimeTuning.ApplyConcurrency(settings.Concurrency);
        // The config directory is read and translated on another core while the host builds itself.
        var configSource = settings.ConfigDirectory is { } directory
            ? FileConfigSource.WithEarlyRead(new FileConfigSourceOptions
            {
                Directory = directory,
                Workload = settings.Workload,
                OutboundTrafficPolicy = settings.OutboundTrafficPolicy,
                AutoAllocateAddresses = settings.Dns is { Enabled: true, AutoAllocate: true },
            }, TimeProvider.System)
            : null;
        var options = new ProxyOptions
        {
            BindAddress = settings.BindAddress,
            OutboundPort = settings.OutboundPort,
            InboundPort = settings.InboundPort,
            AdminPort = settings.AdminPort,
            StatusPort = settings.StatusPort,
            HealthPort = settings.HealthPort,
            StatsPort = settings.StatsPort,
            DrainDuration = settings.DrainDuration,
            ProtocolDetectionTimeout = settings.ProtocolDetectionTimeout,
            AcceptHttp10 = settings.AcceptHttp10,
            AppProbers = settings.AppProbers,
            Dns = settings.Dns,
            ExitOnZeroActiveConnections = settings.ExitOnZeroActiveConnections,
            MinimumDrainDuration = settings.MinimumDrainDuration,
            Workload = settings.Workload,
            Telemetry = settings.Telemetry,
            Concurrency = concurrency,
        };

        // The host's own configuration (appsettings.json) is neither read from the working directory nor watched:
        // watching would put an inotify watch on every directory under it (in a pod, the whole filesystem), which
        // cost start-up time and memory. The sidecar is configured by its flags and Istio's env vars only.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        ConfigureLogging(builder.Logging, settings.LogLevel);
        IdentitySetup.Register(settings.Identity, settings.Workload, builder.Services);
        builder.Services.AddSidecarProxy(options);
        if (configSource is not null)
        {
            builder.Services.AddSingleton(configSource);
            builder.Services.AddSingleton<FileConfigSource>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<FileConfigSource>());
        }
        else
        {
            XdsSetup.Register(settings, builder.Services);
        }
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureSidecarEndpoints(options));

        await using var app = builder.Build();
        app.UseSidecarProxy();
        try
        {
            if (app.Services.GetService<Identity.CertificateStore>() is { } certificates)
            {
                // Like pilot-agent, get the first certificate before serving, so readiness means mTLS works.
                await certificates.StartAsync(terminating.Token).ConfigureAwait(false);
            }

            await app.RunAsync(terminating.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (terminating.IsCancellationRequested)
        {
            app.Logger.LogInformation("Stopped while starting");
            return 0;
        }
        catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            app.Logger.LogCritical("Cannot bind a listener: {Error}", ex.Message);
            return 2;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            app.Logger.LogCritical("Cannot bind a listener: {Error}", ex.Message);
            return 2;
        }
    }

    private static void Terminate(PosixSignalContext context, CancellationTokenSource terminating)
    {
        context.Cancel = true;
        terminating.Cancel();
    }

    private static void ConfigureLogging(ILoggingBuilder logging, string level)
    {
        var minimum = level switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "off" => LogLevel.None,
            _ => LogLevel.Information,
        };

        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        logging.SetMinimumLevel(minimum);
        // Per-request framework logs stay out of the hot path unless asked for.
        logging.AddFilter("Microsoft.AspNetCore", minimum <= LogLevel.Debug ? minimum : LogLevel.Warning);
        // The forwarder logs every upstream failure as a warning; those are reported as response flags instead.
        logging.AddFilter("Yarp", minimum <= LogLevel.Debug ? minimum : LogLevel.Error);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Any level enabled for the hosting diagnostics logger makes ASP.NET Core start an Activity and push a log
        // scope for every request; the proxy's own access log and spans replace both, so it is off unless debugging.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", minimum <= LogLevel.Debug ? minimum : LogLevel.None);
    }
}
