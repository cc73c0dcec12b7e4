using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sidecar.Identity;
using Sidecar.Model;

namespace Sidecar.Proxy.Security;

/// <summary>
/// Terminates Istio mTLS on an inbound filter chain (Envoy's <c>DownstreamTlsContext</c> as istiod builds it): the
/// workload certificate, TLS 1.2-1.3, a client certificate required and verified against the mesh root, its SPIFFE id
/// under the trust domain prefix (<c>spiffe://cluster.local/</c>).
/// </summary>
internal sealed class DownstreamTlsTerminator
{
    private readonly WorkloadIdentity _identity;

    public DownstreamTlsTerminator(WorkloadIdentity identity) => _identity = identity;

    public WorkloadIdentity Identity => _identity;

    /// <summary>The handshake's result: the decrypted stream and the proven peer; null when refused.</summary>
    public async ValueTask<(SslStream Stream, MutualTlsPeer? Peer)?> AcceptAsync(Socket socket, DownstreamTlsConfig config, TimeSpan timeout)
    {
        if (_identity.Current is not { } certificate)
        {
            // No certificate yet: nothing to present; refuse as Envoy does before its secret arrives.
            return null;
        }

        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var roots = certificate.Roots;
        var prefixes = config.PeerSanPrefixes;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = config.RequireClientCertificate,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = config.Alpn.IsEmpty ? null : IstioAlpn.From(config.Alpn),
            RemoteCertificateValidationCallback = (_, peer, chain, _) =>
                peer is X509Certificate2 client
                    ? TrustBundle.Verify(client, chain, roots) && HasPrefixedSpiffeId(client, prefixes)
                    : !config.RequireClientCertificate,
        };

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        MutualTlsPeer? identity = null;
        if (ssl.RemoteCertificate is X509Certificate2 remote)
        {
            var principal = FirstWithPrefix(remote, prefixes);
            var hash = Convert.ToHexStringLower(SHA256.HashData(remote.RawData));
            identity = new MutualTlsPeer(principal, hash, ForwardedClientCert.Element(_identity.SpiffeId, hash, principal));
        }

        return (ssl, identity);
    }

    private static bool HasPrefixedSpiffeId(X509Certificate2 certificate, EquatableArray<string> prefixes) =>
        prefixes.IsEmpty || FirstWithPrefix(certificate, prefixes) is not null;

    /// <summary>The certificate's first SPIFFE id under one of <paramref name="prefixes"/> (any, when there are none).</summary>
    private static string? FirstWithPrefix(X509Certificate2 certificate, EquatableArray<string> prefixes)
    {
        foreach (var id in SpiffeIds.Read(certificate))
        {
            if (prefixes.IsEmpty)
            {
                return id;
            }

            foreach (var prefix in prefixes)
            {
                if (id.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return id;
                }
            }
        }

        return null;
    }
}
