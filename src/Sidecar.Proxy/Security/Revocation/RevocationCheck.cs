using System.Security.Cryptography.X509Certificates;
using Sidecar.Identity;

namespace Sidecar.Proxy.Security.Revocation;

/// <summary>
/// A peer's chain against the CRLs of a DestinationRule's <c>caCrl</c>, as Envoy checks its validation context's
/// <c>crl</c>: every certificate of the chain, the root included, needs a list from its issuer that the issuer signed
/// and that is current, and must not be on it. So a CRL for one authority of a chain means one for each, as Envoy's
/// documentation warns; a certificate without one fails, revoked or not.
/// </summary>
internal static class RevocationCheck
{
    /// <summary>Whether <paramref name="peer"/> chains to <paramref name="roots"/> and nothing in the chain is revoked.</summary>
    public static bool Verify(X509Certificate2 peer, X509Chain? presented, X509Certificate2Collection roots, IReadOnlyList<RevocationList> lists, DateTimeOffset now) =>
        TrustBundle.Verify(peer, presented, roots, chain =>
        {
            var elements = chain.ChainElements;
            for (var i = 0; i < elements.Count; i++)
            {
                var certificate = elements[i].Certificate;
                var issuer = i + 1 < elements.Count ? elements[i + 1].Certificate : certificate;
                if (!IsCurrentlyValid(certificate, issuer, lists, now))
                {
                    return false;
                }
            }

            return true;
        });

    private static bool IsCurrentlyValid(X509Certificate2 certificate, X509Certificate2 issuer, IReadOnlyList<RevocationList> lists, DateTimeOffset now)
    {
        var issuerName = certificate.IssuerName.RawData;
        foreach (var list in lists)
        {
            if (list.Issuer.AsSpan().SequenceEqual(issuerName) && list.ThisUpdate <= now && (list.NextUpdate is not { } next || next >= now) && list.IsSignedBy(issuer))
            {
                return !list.Revokes(certificate);
            }
        }

        return false;
    }
}
