namespace Sidecar.Proxy.Security;

/// <summary>
/// An upstream TLS handshake that failed, with the reason Envoy reports for it as the transport failure reason
/// (BoringSSL's error queue as Envoy prints it): the peer's certificate not verified, or no TLS answer at all (a
/// plaintext endpoint). The 503 body, <c>%RESPONSE_CODE_DETAILS%</c> and <c>%UPSTREAM_TRANSPORT_FAILURE_REASON%</c>
/// carry it, as the Istio troubleshooting guides show them.
/// </summary>
internal sealed class UpstreamTlsException(bool certificateRejected, Exception inner)
    : IOException(certificateRejected ? "the upstream's certificate was not verified" : "the upstream TLS handshake failed", inner)
{
    public string TransportFailureReason { get; } = certificateRejected
        ? "TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end"
        : "TLS_error:|268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER:TLS_error_end";
}
