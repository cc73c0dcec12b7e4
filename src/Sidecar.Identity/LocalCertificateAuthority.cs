using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>
/// The standalone mode's CA: a root kept in a directory that every sidecar on the machine shares. The first sidecar
/// to start generates it; the others load it. Generation is race-safe across processes: the root is written to a
/// private temporary file and published with an exclusive link (a rename that fails when the name exists), so all
/// processes end up with the same root. A root given as files (Istio's plugged-in CA layout: <c>ca-cert.pem</c>,
/// <c>ca-key.pem</c>, optionally <c>root-cert.pem</c> and <c>cert-chain.pem</c>) is used as is.
/// </summary>
public sealed class LocalCertificateAuthority : IDisposable
{
    /// <summary>The generated root: certificate and key in one file, so it is published in one step.</summary>
    public const string GeneratedFileName = "ca.pem";

    /// <summary>The trust bundle next to it, for tools and tests (Istio's <c>root-cert.pem</c>).</summary>
    public const string RootCertFileName = "root-cert.pem";

    private static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);

    private LocalCertificateAuthority(X509Certificate2 signer, X509Certificate2Collection intermediates, X509Certificate2Collection roots)
    {
        Signer = signer;
        Intermediates = intermediates;
        Roots = roots;
    }

    /// <summary>The certificate that signs workload certificates (with its key).</summary>
    public X509Certificate2 Signer { get; }

    /// <summary>Certificates between the signer and the root (the signer included when it is not the root).</summary>
    public X509Certificate2Collection Intermediates { get; }

    public X509Certificate2Collection Roots { get; }

    /// <summary>Loads the CA in <paramref name="directory"/>, generating a root there first when there is none.</summary>
    public static LocalCertificateAuthority OpenOrCreate(string directory, string trustDomain, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Directory.CreateDirectory(directory);
        var pluggedCert = Path.Combine(directory, "ca-cert.pem");
        var pluggedKey = Path.Combine(directory, "ca-key.pem");
        if (File.Exists(pluggedCert) && File.Exists(pluggedKey))
        {
            return LoadPlugged(directory, pluggedCert, pluggedKey);
        }

        var generated = Path.Combine(directory, GeneratedFileName);
        if (!File.Exists(generated))
        {
            Publish(generated, GenerateRootPem(trustDomain, time.GetUtcNow()));
        }

        var pem = File.ReadAllText(generated);
        var root = X509Certificate2.CreateFromPem(pem, pem);
        var publicRoot = X509CertificateLoader.LoadCertificate(root.RawData);
        var bundle = Path.Combine(directory, RootCertFileName);
        if (!File.Exists(bundle))
        {
            Publish(bundle, publicRoot.ExportCertificatePem() + "\n");
        }

        return new LocalCertificateAuthority(root, [], [publicRoot]);
    }

    /// <summary>Issues a workload certificate for <paramref name="spiffeId"/> valid for <paramref name="lifetime"/>.</summary>
    public WorkloadCertificate Issue(string spiffeId, KeyAlgorithm algorithm, TimeSpan lifetime, DateTimeOffset now)
    {
        using var key = KeyAlgorithms.CreateKey(algorithm);
        var request = CertificateIssuer.CreateRequest(key, spiffeId);
        using var signed = CertificateIssuer.Sign(request, Signer, now, lifetime);
        // Round-trip through PKCS#12 so the key is a persisted-style key every TLS backend accepts.
        using var withKey = CertificateIssuer.WithKey(signed, key);
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new WorkloadCertificate(leaf, Intermediates, Roots);
    }

    public void Dispose() => Signer.Dispose();

    private static LocalCertificateAuthority LoadPlugged(string directory, string certPath, string keyPath)
    {
        var signer = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        var rootPath = Path.Combine(directory, RootCertFileName);
        var roots = new X509Certificate2Collection();
        if (File.Exists(rootPath))
        {
            roots.ImportFromPemFile(rootPath);
        }
        else
        {
            roots.Add(X509CertificateLoader.LoadCertificate(signer.RawData));
        }

        var intermediates = new X509Certificate2Collection();
        var chainPath = Path.Combine(directory, "cert-chain.pem");
        if (File.Exists(chainPath))
        {
            intermediates.ImportFromPemFile(chainPath);
        }
        else if (!roots.Contains(signer))
        {
            intermediates.Add(X509CertificateLoader.LoadCertificate(signer.RawData));
        }

        return new LocalCertificateAuthority(signer, intermediates, roots);
    }

    private static string GenerateRootPem(string trustDomain, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Istio's self-signed root carries O=<trust domain>.
        var request = new CertificateRequest(new X500DistinguishedName($"O={trustDomain}, CN=Sidecar local CA"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var root = request.CreateSelfSigned(now - CertificateIssuer.ClockSkewAllowance, now + RootLifetime);
        return root.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>Writes <paramref name="content"/> to a private temporary file, then links it into place unless another
    /// process got there first (File.Move without overwrite is link + unlink on Unix: it fails when the name exists).</summary>
    private static void Publish(string path, string content)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another sidecar published first: use theirs.
            File.Delete(temporary);
        }
    }
}
