using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Testing;

/// <summary>
/// A small X.509 hierarchy for TLS tests: certificate authorities that issue server certificates and sign
/// certificate revocation lists (with .NET's <see cref="CertificateRevocationListBuilder"/>).
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly List<X509Certificate2> _issued = [];

    private TestPki(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The authority's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>A self-signed root authority; <paramref name="rsa"/> for an RSA key, else ECDSA P-256.</summary>
    public static TestPki CreateRoot(string name, bool rsa = false)
    {
        var request = Request($"CN={name}", rsa, out var key);
        AddAuthorityExtensions(request);
        using (key)
        {
            return new TestPki(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1)));
        }
    }

    /// <summary>An intermediate authority issued by this one.</summary>
    public TestPki CreateIntermediate(string name)
    {
        var request = Request($"CN={name}", rsa: false, out var key);
        AddAuthorityExtensions(request);
        using (key)
        {
            using var issued = Issue(request);
            return new TestPki(issued.CopyWithPrivateKey((ECDsa)key));
        }
    }

    /// <summary>A server certificate for <paramref name="dnsName"/>, with its private key.</summary>
    public X509Certificate2 IssueServer(string dnsName)
    {
        var request = Request($"CN={dnsName}", rsa: false, out var key);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using (key)
        {
            using var issued = Issue(request);
            var withKey = issued.CopyWithPrivateKey((ECDsa)key);
            _issued.Add(withKey);
            return withKey;
        }
    }

    /// <summary>A CRL this authority signs, revoking <paramref name="revoked"/>; current unless <paramref name="nextUpdate"/> says otherwise.</summary>
    public byte[] Crl(IEnumerable<X509Certificate2> revoked, DateTimeOffset? nextUpdate = null, DateTimeOffset? thisUpdate = null)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-1));
        }

        var padding = Certificate.GetRSAPublicKey() is { } rsa ? RSASignaturePadding.Pkcs1 : null;
        return builder.Build(Certificate, BigInteger.One, nextUpdate ?? DateTimeOffset.UtcNow.AddHours(1), HashAlgorithmName.SHA256, padding, thisUpdate ?? DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    /// <summary>A CRL in PEM, as a DestinationRule's <c>caCrl</c> file holds it.</summary>
    public static string Pem(byte[] crl) => PemEncoding.WriteString("X509 CRL", crl);

    public void Dispose()
    {
        foreach (var certificate in _issued)
        {
            certificate.Dispose();
        }

        Certificate.Dispose();
    }

    private static CertificateRequest Request(string subject, bool rsa, out IDisposable key)
    {
        if (rsa)
        {
            var rsaKey = RSA.Create(2048);
            key = rsaKey;
            return new CertificateRequest(subject, rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        key = ecdsa;
        return new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256);
    }

    private static void AddAuthorityExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    /// <summary>Signs <paramref name="request"/> with this authority's key, RSA or ECDSA.</summary>
    private X509Certificate2 Issue(CertificateRequest request)
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-30);
        var notAfter = DateTimeOffset.UtcNow.AddHours(12);
        if (Certificate.GetRSAPrivateKey() is { } rsa)
        {
            using (rsa)
            {
                request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
                return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), notBefore, notAfter, NextSerial());
            }
        }

        return request.Create(Certificate, notBefore, notAfter, NextSerial());
    }

    /// <summary>A random positive serial number with no leading zero byte.</summary>
    private static byte[] NextSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}
