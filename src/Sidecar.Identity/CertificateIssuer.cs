using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>Builds Istio-shaped workload certificates and CSRs: empty subject, a critical URI SAN with the SPIFFE id.</summary>
public static class CertificateIssuer
{
    /// <summary>Certificates start a little in the past so a peer with a slower clock accepts them (istiod uses 2 min).</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(2);

    /// <summary>A request for <paramref name="spiffeId"/> with <paramref name="key"/>: what both the local CA and a CSR start from.</summary>
    public static CertificateRequest CreateRequest(AsymmetricAlgorithm key, string spiffeId)
    {
        ArgumentNullException.ThrowIfNull(key);
        var subject = new X500DistinguishedName("");
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("unsupported key type", nameof(key)),
        };
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(spiffeId));
        // The subject is empty, so the SAN extension is critical (RFC 5280 4.2.1.6), as in Istio's certificates.
        var sanExtension = san.Build(critical: true);
        request.CertificateExtensions.Add(sanExtension);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request;
    }

    /// <summary>A PEM PKCS#10 CSR for <paramref name="spiffeId"/> (what Istio's agent sends to its CA).</summary>
    public static string CreateSigningRequestPem(AsymmetricAlgorithm key, string spiffeId) =>
        CreateRequest(key, spiffeId).CreateSigningRequestPem();

    /// <summary>Signs <paramref name="request"/> with <paramref name="issuer"/> (which holds its private key).</summary>
    public static X509Certificate2 Sign(CertificateRequest request, X509Certificate2 issuer, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(issuer);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        var notAfter = now + lifetime;
        if (notAfter > issuer.NotAfter)
        {
            notAfter = new DateTimeOffset(issuer.NotAfter.ToUniversalTime());
        }

        // Short-lived certificates (tests, aggressive TTLs) backdate less, so half of their life is still ahead.
        var backdate = lifetime / 10 < ClockSkewAllowance ? lifetime / 10 : ClockSkewAllowance;
        // Sign with the issuer's own key type: an ECDSA root may sign an RSA workload key and the other way round.
        using var key = (AsymmetricAlgorithm?)issuer.GetECDsaPrivateKey() ?? issuer.GetRSAPrivateKey() ?? throw new ArgumentException("the issuer has no private key", nameof(issuer));
        var generator = key is ECDsa ec ? X509SignatureGenerator.CreateForECDsa(ec) : X509SignatureGenerator.CreateForRSA((RSA)key, RSASignaturePadding.Pkcs1);
        return request.Create(issuer.SubjectName, generator, now - backdate, notAfter, serial);
    }

    /// <summary>Attaches <paramref name="key"/> to a certificate that lacks it.</summary>
    public static X509Certificate2 WithKey(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => certificate.CopyWithPrivateKey(ec),
        RSA rsa => certificate.CopyWithPrivateKey(rsa),
        _ => throw new ArgumentException("unsupported key type", nameof(key)),
    };
}
