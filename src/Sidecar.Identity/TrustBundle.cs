using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>Verifies a peer certificate against the mesh's roots only (never the system store), as Envoy's
/// <c>validation_context</c> with Istio's <c>ROOTCA</c> does.</summary>
public static class TrustBundle
{
    /// <summary>True when <paramref name="peer"/> chains to one of <paramref name="roots"/>, using the certificates the
    /// peer sent as intermediates.</summary>
    public static bool Verify(X509Certificate2 peer, X509Chain? presented, X509Certificate2Collection roots) =>
        Verify(peer, presented, roots, andThen: null);

    /// <summary>As <see cref="Verify(X509Certificate2, X509Chain?, X509Certificate2Collection)"/>, then
    /// <paramref name="andThen"/> on the chain built (a revocation check, say) when one is given.</summary>
    public static bool Verify(X509Certificate2 peer, X509Chain? presented, X509Certificate2Collection roots, Func<X509Chain, bool>? andThen)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(roots);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
        {
            for (var i = 1; i < presented.ChainElements.Count; i++)
            {
                chain.ChainPolicy.ExtraStore.Add(presented.ChainElements[i].Certificate);
            }

            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }

        return chain.Build(peer) && (andThen is null || andThen(chain));
    }
}
