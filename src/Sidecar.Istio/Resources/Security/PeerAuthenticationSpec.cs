namespace Sidecar.Istio.Resources.Security;

/// <summary>Istio's <c>PeerAuthentication</c> spec (security.istio.io): the mTLS mode a workload accepts.</summary>
public sealed record PeerAuthenticationSpec : IstioSpec
{
    /// <summary><c>selector.matchLabels</c>; null for a namespace- or mesh-wide policy.</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    /// <summary><c>mtls.mode</c>: UNSET, DISABLE, PERMISSIVE or STRICT; null when <c>mtls</c> is absent.</summary>
    public string? MtlsMode { get; init; }

    /// <summary><c>portLevelMtls</c>: port number to mode; null when absent.</summary>
    public IReadOnlyDictionary<int, string>? PortLevelMtls { get; init; }
}
