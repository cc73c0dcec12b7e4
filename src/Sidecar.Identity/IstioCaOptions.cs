namespace Sidecar.Identity;

/// <summary>How to reach Istio's CA (<c>CA_ADDR</c>, istiod's root, the service-account token, the cluster id).</summary>
public sealed record IstioCaOptions
{
    /// <summary>The CA's address, e.g. <c>https://istiod.istio-system.svc:15012</c>.</summary>
    public required Uri Address { get; init; }

    /// <summary>istiod's root (<c>/var/run/secrets/istio/root-cert.pem</c>); its TLS is verified against it. Null trusts the system roots.</summary>
    public string? RootCertificatePath { get; init; }

    /// <summary>The TLS server name to verify (Istio's <c>ISTIOD_SAN</c>); null uses the address host.</summary>
    public string? ServerName { get; init; }

    /// <summary>The projected service-account token (<c>/var/run/secrets/tokens/istio-token</c>), read for every request.</summary>
    public string? TokenPath { get; init; }

    /// <summary>A literal token, when given instead of a path.</summary>
    public string? Token { get; init; }

    /// <summary>The <c>ClusterID</c> header (<c>ISTIO_META_CLUSTER_ID</c>, default <c>Kubernetes</c>).</summary>
    public string ClusterId { get; init; } = "Kubernetes";

    public required string SpiffeId { get; init; }

    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa2048;

    /// <summary>The requested validity (<c>SECRET_TTL</c>, 24 h by default).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(24);
}
