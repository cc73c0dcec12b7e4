using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Xds;
using Sidecar.Xds.Client;

namespace Sidecar.Hosting;

/// <summary>Mesh mode: the ADS client to istiod as the config source, with istiod's root and token shared with the CA client.</summary>
internal static class XdsSetup
{
    public static void Register(SidecarSettings settings, IServiceCollection services)
    {
        var options = new XdsOptions
        {
            Address = settings.XdsAddress ?? throw new InvalidOperationException("mesh mode needs istiod's address"),
            RootCertificatePath = settings.Identity.CaRootPath,
            ServerName = Environment.GetEnvironmentVariable("ISTIOD_SAN") is { Length: > 0 } san ? san : null,
            TokenPath = settings.Identity.TokenPath,
            Workload = settings.Workload,
            EnvironmentMetadata = NodeBuilder.FromEnvironment(Environment.GetEnvironmentVariables()),
            InterceptionMode = Environment.GetEnvironmentVariable("INTERCEPTION_MODE") is { Length: > 0 } mode ? mode : "REDIRECT",
            DnsCapture = settings.Dns.Enabled,
            DnsAutoAllocate = settings.Dns.AutoAllocate,
            DeltaXds = new CommandLine.IstioEnvironment().DeltaXds,
            Mesh = MeshConfig.Default,
        };
        services.AddSingleton(sp => new AdsClient(options, sp.GetRequiredService<ProxyConfigStore>(), sp.GetRequiredService<ILogger<AdsClient>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<AdsClient>());
    }
}
