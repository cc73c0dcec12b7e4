using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>
/// How pilot-agent talks to istiod, for the CA and for xDS alike: TLS verified against istiod's root (ServerName the
/// address host, or <c>ISTIOD_SAN</c>), and the projected service-account token read afresh for every call (the
/// kubelet rotates it).
/// </summary>
public static class IstiodConnection
{
    /// <summary>An HTTP/2 handler for istiod's gRPC port; <paramref name="rootCertificatePath"/> null trusts the system roots.</summary>
    public static SocketsHttpHandler CreateHandler(string? rootCertificatePath, string? serverName)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (rootCertificatePath is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(rootCertificatePath);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    certificate is X509Certificate2 peer
                    && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                    && TrustBundle.Verify(peer, chain, roots),
            };
        }

        return handler;
    }

    /// <summary>The bearer token: <paramref name="token"/> when given, else the file's content, else null (no token).</summary>
    public static async Task<string?> ReadTokenAsync(string? token, string? tokenPath, CancellationToken cancellationToken)
    {
        if (token is { Length: > 0 })
        {
            return token;
        }

        return tokenPath is not null && File.Exists(tokenPath)
            ? (await File.ReadAllTextAsync(tokenPath, cancellationToken).ConfigureAwait(false)).Trim()
            : null;
    }
}
