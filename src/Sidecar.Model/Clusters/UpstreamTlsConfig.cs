namespace Sidecar.Model;

/// <summary>Istio's DestinationRule <c>tls.mode</c>.</summary>
public enum UpstreamTlsMode
{
    Disable,

    /// <summary>TLS with server verification against given roots.</summary>
    Simple,

    /// <summary>mTLS with a given client certificate.</summary>
    Mutual,

    /// <summary>mTLS with the workload's own SPIFFE certificate, toward another Istio sidecar.</summary>
    IstioMutual,
}

/// <summary>TLS origination toward a cluster's endpoints (Envoy's <c>UpstreamTlsContext</c>).</summary>
public sealed record UpstreamTlsConfig
{
    public UpstreamTlsMode Mode { get; init; } = UpstreamTlsMode.IstioMutual;

    /// <summary>SNI to send; for ISTIO_MUTUAL Istio uses <c>outbound_.9080_.v1_.reviews.default.svc.cluster.local</c>.</summary>
    public string? Sni { get; init; }

    /// <summary>SANs the server certificate must carry (SPIFFE ids for ISTIO_MUTUAL); empty accepts any trusted cert.</summary>
    public EquatableArray<string> SubjectAltNames { get; init; }

    /// <summary>ALPN to offer (ISTIO_MUTUAL offers Istio's <c>istio-*</c> protocols, derived per request).</summary>
    public EquatableArray<string> Alpn { get; init; }

    /// <summary>Trusted roots (PEM) for SIMPLE/MUTUAL (Istio's <c>caCertificates</c>); null uses the system roots.</summary>
    public string? CaCertificatesPath { get; init; }

    /// <summary>Istio's <c>caCrl</c> (Envoy's validation context <c>crl</c>): PEM CRLs the server's chain is checked
    /// against; only with <see cref="CaCertificatesPath"/>, as istiod attaches it.</summary>
    public string? CaCrlPath { get; init; }

    public string? ClientCertificatePath { get; init; }

    public string? PrivateKeyPath { get; init; }

    /// <summary>Istio's <c>insecureSkipVerify</c>.</summary>
    public bool InsecureSkipVerify { get; init; }
}
