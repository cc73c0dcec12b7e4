using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecar.Identity;
using Sidecar.Model;

namespace Sidecar.Hosting;

/// <summary>Chooses the certificate provider from the settings and registers the store the data plane reads (the container disposes it).</summary>
internal static class IdentitySetup
{
    public static bool Register(IdentitySettings settings, WorkloadInfo workload, IServiceCollection services)
    {
        if (!settings.IsConfigured)
        {
            return false;
        }

        ICertificateProvider provider;
        if (settings.CertificateDirectory is { } files)
        {
            provider = new FileCertificateProvider(files);
        }
        else if (settings.CaAddress is { } address)
        {
            provider = new IstioCaCertificateProvider(new IstioCaOptions
            {
                Address = address,
                RootCertificatePath = settings.CaRootPath,
                ServerName = Environment.GetEnvironmentVariable("ISTIOD_SAN") is { Length: > 0 } san ? san : null,
                TokenPath = settings.TokenPath,
                ClusterId = workload.ClusterId,
                SpiffeId = workload.SpiffeId,
                KeyAlgorithm = settings.KeyAlgorithm,
                Lifetime = settings.Lifetime,
            });
        }
        else
        {
            var directory = settings.LocalCaDirectory!;
            var ca = LocalCertificateAuthority.OpenOrCreate(directory, workload.TrustDomain, TimeProvider.System);
            provider = new LocalCaCertificateProvider(ca, workload.SpiffeId, settings.KeyAlgorithm, settings.Lifetime, TimeProvider.System, directory);
        }

        services.AddSingleton(sp => new CertificateStore(provider, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CertificateStore>>()));
        return true;
    }
}
