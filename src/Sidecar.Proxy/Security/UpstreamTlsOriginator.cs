using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Proxy.Security.Revocation;

namespace Sidecar.Proxy.Security;

/// <summary>
/// TLS origination toward an upstream (Envoy's <c>UpstreamTlsContext</c>): ISTIO_MUTUAL with the workload certificate,
/// Istio's SNI and ALPN and the destination's SPIFFE SANs checked against the mesh root; SIMPLE and MUTUAL with the
/// DestinationRule's files. Runs inside the connection pool's connect step, so the request URI stays <c>http://</c>
/// and the pool sees a plain stream.
/// </summary>
internal sealed class UpstreamTlsOriginator
{
    private readonly WorkloadIdentity _identity;
    private readonly TlsFileCache _files = new();

    public UpstreamTlsOriginator(WorkloadIdentity identity) => _identity = identity;

    public WorkloadIdentity Identity => _identity;

    /// <summary>
    /// The TLS settings for a connection to <paramref name="host"/>:<paramref name="port"/> of
    /// <paramref name="cluster"/>: the cluster's own (DestinationRule <c>tls</c>), or auto mTLS when the endpoint is
    /// labelled <c>security.istio.io/tlsMode: istio</c>; null for plaintext. A sidecar without an identity (no CA,
    /// no mounted certificates) leaves auto mTLS off rather than failing: it could never complete the handshake.
    /// </summary>
    public UpstreamTlsConfig? SettingsFor(ClusterConfig cluster, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.Tls is null && cluster.AutoMtlsSettings is not null)
        {
            // Per new connection, not per request: a scan of the cluster's endpoints is cheap enough here.
            foreach (var endpoint in cluster.Endpoints)
            {
                if (endpoint.Port == port && string.Equals(endpoint.Address, host, StringComparison.OrdinalIgnoreCase))
                {
                    return SettingsFor(cluster, endpoint);
                }
            }
        }

        return SettingsFor(cluster, endpoint: null);
    }

    /// <summary>The rule itself, toward a known endpoint (or none: only the cluster's own TLS then applies).</summary>
    public UpstreamTlsConfig? SettingsFor(ClusterConfig cluster, EndpointConfig? endpoint)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.Tls is { } tls)
        {
            return tls.Mode == UpstreamTlsMode.Disable ? null : tls;
        }

        return cluster.AutoMtlsSettings is { } auto && _identity.Store is not null && endpoint?.IsIstioMtlsCapable == true ? auto : null;
    }

    /// <summary>
    /// Runs the client handshake over <paramref name="inner"/>; <paramref name="alpn"/> is what to offer.
    /// <paramref name="autoHost"/>: the name Envoy's <c>auto_sni</c> and <c>auto_san_validation</c> take from an HTTP
    /// request (istiod sets both on a cluster whose DestinationRule gives no <c>sni</c>); null on a TCP connection,
    /// which sends no SNI then and checks no name.
    /// </summary>
    public async ValueTask<SslStream> AuthenticateAsync(Stream inner, UpstreamTlsConfig tls, string? autoHost, List<SslApplicationProtocol>? alpn, CancellationToken cancellationToken)
    {
        var verification = new Verification();
        var options = ClientOptions(tls, autoHost, alpn, verification);
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException && !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new UpstreamTlsException(verification.Rejected, ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether this handshake's certificate check refused the peer (else a failure is the handshake's own).</summary>
    private sealed class Verification
    {
        public bool Rejected { get; set; }

        public bool Record(bool accepted)
        {
            Rejected |= !accepted;
            return accepted;
        }
    }

    private SslClientAuthenticationOptions ClientOptions(UpstreamTlsConfig tls, string? autoHost, List<SslApplicationProtocol>? alpn, Verification verification)
    {
        var options = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            TargetHost = tls.Sni ?? autoHost ?? "",
            ApplicationProtocols = alpn ?? (tls.Alpn.IsEmpty ? null : IstioAlpn.From(tls.Alpn)),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };

        if (tls.Mode == UpstreamTlsMode.IstioMutual)
        {
            var certificate = _identity.Current ?? throw new AuthenticationException("no workload certificate yet for ISTIO_MUTUAL");
            options.ClientCertificateContext = certificate.Context;
            var roots = certificate.Roots;
            var sans = tls.SubjectAltNames;
            // The SNI is Istio's routing key, not a host name: trust is the mesh root plus the SPIFFE SAN.
            options.RemoteCertificateValidationCallback = (_, peer, chain, _) =>
                verification.Record(peer is X509Certificate2 server && TrustBundle.Verify(server, chain, roots) && SubjectAltNames.Match(server, sans));
            return options;
        }

        if (tls.Mode == UpstreamTlsMode.Mutual && tls.ClientCertificatePath is { } certPath && tls.PrivateKeyPath is { } keyPath)
        {
            options.ClientCertificateContext = _files.ClientCertificate(certPath, keyPath);
        }

        var customRoots = tls.CaCertificatesPath is { } caPath ? _files.Roots(caPath) : null;
        // A CRL file that cannot be read fails the connection as a caCertificates file that cannot be read does.
        var revocationLists = customRoots is not null && tls.CaCrlPath is { } crlPath ? _files.RevocationLists(crlPath) : null;
        var expected = tls.SubjectAltNames;
        options.RemoteCertificateValidationCallback = (_, peer, chain, errors) =>
        {
            if (tls.InsecureSkipVerify)
            {
                return true;
            }

            if (peer is not X509Certificate2 server)
            {
                return verification.Record(false);
            }

            var trusted = customRoots is null ? (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0
                : revocationLists is not null ? RevocationCheck.Verify(server, chain, customRoots, revocationLists, DateTimeOffset.UtcNow)
                : TrustBundle.Verify(server, chain, customRoots);
            // With subjectAltNames the SAN list decides the name. Without, only auto_san_validation checks one (the
            // request's host, when the rule gives no sni); a rule's own sni, or a TCP connection, checks the chain alone.
            var named = !expected.IsEmpty ? SubjectAltNames.Match(server, expected)
                : tls.Sni is not null || autoHost is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
            return verification.Record(trusted && named);
        };
        return options;
    }
}
