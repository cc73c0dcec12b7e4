using Sidecar.Identity;

namespace Sidecar.Hosting;

/// <summary>Where the workload certificate comes from; at most one source, none for a sidecar without mTLS.</summary>
internal sealed record IdentitySettings
{
    /// <summary>The standalone local CA's directory (<c>--ca-dir</c>), shared by the sidecars of one machine.</summary>
    public string? LocalCaDirectory { get; init; }

    /// <summary>Istio's CA (<c>--ca-address</c> / <c>CA_ADDR</c>).</summary>
    public Uri? CaAddress { get; init; }

    /// <summary>istiod's root for the CA's TLS (<c>--ca-root</c>).</summary>
    public string? CaRootPath { get; init; }

    /// <summary>The service-account token file (<c>--ca-token-file</c>).</summary>
    public string? TokenPath { get; init; }

    /// <summary>Mounted certificates (<c>--cert-dir</c>: cert-chain.pem, key.pem, root-cert.pem).</summary>
    public string? CertificateDirectory { get; init; }

    /// <summary>Requested certificate lifetime (<c>--cert-ttl</c> / <c>SECRET_TTL</c>, 24 h).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(24);

    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa2048;

    public bool IsConfigured => LocalCaDirectory is not null || CaAddress is not null || CertificateDirectory is not null;
}
