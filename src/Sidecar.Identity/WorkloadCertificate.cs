using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>
/// Istio's two secrets as one value: <c>default</c> (the workload's key and certificate chain) and <c>ROOTCA</c>
/// (the trust bundle). Immutable; a rotation publishes a new one, and each TLS handshake reads the current one.
/// </summary>
public sealed class WorkloadCertificate : IDisposable
{
    /// <param name="leaf">The workload certificate, with its private key.</param>
    /// <param name="intermediates">Certificates between the leaf and the root, sent in handshakes.</param>
    /// <param name="roots">The trust bundle peers are verified against.</param>
    public WorkloadCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates, X509Certificate2Collection roots)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (!leaf.HasPrivateKey)
        {
            throw new ArgumentException("the workload certificate needs its private key", nameof(leaf));
        }

        Leaf = leaf;
        Intermediates = intermediates;
        Roots = roots;
        SpiffeId = SpiffeIds.Read(leaf).FirstOrDefault();
        // Built once: the chain sent in every handshake, so handshakes do not rebuild it.
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    public X509Certificate2 Leaf { get; }

    public X509Certificate2Collection Intermediates { get; }

    public X509Certificate2Collection Roots { get; }

    /// <summary>The first SPIFFE URI SAN of the leaf, or null.</summary>
    public string? SpiffeId { get; }

    public DateTimeOffset NotBefore => new(Leaf.NotBefore.ToUniversalTime());

    public DateTimeOffset NotAfter => new(Leaf.NotAfter.ToUniversalTime());

    /// <summary>The leaf and intermediates for <see cref="SslStream"/>.</summary>
    public SslStreamCertificateContext Context { get; }

    public void Dispose() => Leaf.Dispose();
}
