namespace Sidecar.Proxy.Security;

/// <summary>
/// The client of an inbound mTLS connection, as the handshake proved it: its SPIFFE id, the SHA-256 of its certificate,
/// and the ready-made <c>x-forwarded-client-cert</c> element for this connection (computed once, not per request).
/// </summary>
internal sealed record MutualTlsPeer(string? Principal, string CertificateHash, string ForwardedClientCert)
{
    /// <summary>The key in the connection's items.</summary>
    public static readonly object Key = typeof(MutualTlsPeer);
}
