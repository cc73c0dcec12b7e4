using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Proxy.Security;

/// <summary>
/// The client certificates and trust bundles a DestinationRule's SIMPLE or MUTUAL <c>tls</c> names by file, loaded once
/// per version of the files instead of on every new upstream connection (a key import and a chain build each time).
/// A file rewritten in place (a rotated Secret) has a new write time and is loaded again on the next connection, as
/// Envoy reloads watched certificate files.
/// </summary>
internal sealed class TlsFileCache
{
    private readonly ConcurrentDictionary<(string Certificate, string Key), Loaded<SslStreamCertificateContext>> _clientCertificates = new();
    private readonly ConcurrentDictionary<string, Loaded<X509Certificate2Collection>> _roots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Loaded<IReadOnlyList<Revocation.RevocationList>>> _revocationLists = new(StringComparer.Ordinal);

    /// <summary>The certificate chain and key of <paramref name="certificatePath"/> and <paramref name="keyPath"/>, ready for a handshake.</summary>
    public SslStreamCertificateContext ClientCertificate(string certificatePath, string keyPath)
    {
        var version = (File.GetLastWriteTimeUtc(certificatePath), File.GetLastWriteTimeUtc(keyPath));
        var key = (certificatePath, keyPath);
        if (_clientCertificates.TryGetValue(key, out var cached) && cached.Version == version)
        {
            return cached.Value;
        }

        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certificatePath);
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        // Through PKCS#12 so the key is a persisted one every platform's TLS stack accepts.
        var leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        chain[0].Dispose(); // the leaf as parsed from the PEM: the context holds the PKCS#12 copy with its key
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        _clientCertificates[key] = new Loaded<SslStreamCertificateContext>(version, context);
        return context;
    }

    /// <summary>The certificates of the PEM bundle at <paramref name="path"/> (a DestinationRule's <c>caCertificates</c>).</summary>
    public X509Certificate2Collection Roots(string path)
    {
        var version = (File.GetLastWriteTimeUtc(path), default(DateTime));
        if (_roots.TryGetValue(path, out var cached) && cached.Version == version)
        {
            return cached.Value;
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(path);
        _roots[path] = new Loaded<X509Certificate2Collection>(version, roots);
        return roots;
    }

    /// <summary>The CRLs of the file at <paramref name="path"/> (a DestinationRule's <c>caCrl</c>).</summary>
    /// <exception cref="InvalidDataException">The file holds no certificate revocation list.</exception>
    public IReadOnlyList<Revocation.RevocationList> RevocationLists(string path)
    {
        var version = (File.GetLastWriteTimeUtc(path), default(DateTime));
        if (_revocationLists.TryGetValue(path, out var cached) && cached.Version == version)
        {
            return cached.Value;
        }

        var lists = Revocation.RevocationList.LoadFile(path);
        _revocationLists[path] = new Loaded<IReadOnlyList<Revocation.RevocationList>>(version, lists);
        return lists;
    }

    /// <summary>What was loaded, and the write times of the files it came from.</summary>
    private sealed record Loaded<T>((DateTime, DateTime) Version, T Value);
}
