using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Proxy.Security.Revocation;

/// <summary>
/// One X.509 certificate revocation list (RFC 5280 <c>CertificateList</c>), as a DestinationRule's <c>caCrl</c> file
/// holds them: who issued it, when it is valid, which serial numbers it revokes, and its signature.
/// </summary>
/// <remarks>
/// Read by hand with <see cref="AsnReader"/>: .NET checks revocation only through the platform's own CRL fetching
/// and cache, and its <see cref="CertificateRevocationListBuilder"/> loads a list without exposing its entries.
/// </remarks>
internal sealed class RevocationList
{
    private readonly byte[] _signedPart;
    private readonly string _signatureAlgorithm;
    private readonly byte[] _signature;
    private readonly HashSet<string> _revokedSerials;

    private RevocationList(byte[] issuer, DateTimeOffset thisUpdate, DateTimeOffset? nextUpdate, HashSet<string> revokedSerials, byte[] signedPart, string signatureAlgorithm, byte[] signature)
    {
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        _revokedSerials = revokedSerials;
        _signedPart = signedPart;
        _signatureAlgorithm = signatureAlgorithm;
        _signature = signature;
    }

    /// <summary>The issuer's distinguished name, DER-encoded as it appears in the certificates it issued.</summary>
    public byte[] Issuer { get; }

    public DateTimeOffset ThisUpdate { get; }

    public DateTimeOffset? NextUpdate { get; }

    /// <summary>Every CRL in a file: PEM <c>X509 CRL</c> blocks, or one DER-encoded list.</summary>
    /// <exception cref="InvalidDataException">The file holds no list, or one that is not a CertificateList.</exception>
    public static IReadOnlyList<RevocationList> LoadFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        var lists = new List<RevocationList>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual("X509 CRL"))
            {
                lists.Add(Parse(Convert.FromBase64String(rest[fields.Base64Data].ToString())));
            }

            rest = rest[fields.Location.End.Value..];
        }

        if (lists.Count == 0)
        {
            lists.Add(Parse(bytes));
        }

        return lists;
    }

    /// <summary>Reads one DER-encoded CertificateList.</summary>
    public static RevocationList Parse(byte[] der)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var certificateList = reader.ReadSequence();
            var signedPart = certificateList.PeekEncodedValue().ToArray();
            var tbs = certificateList.ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                tbs.ReadInteger(); // version
            }

            tbs.ReadSequence(); // signature algorithm (repeated outside the signed part)
            var issuer = tbs.ReadEncodedValue().ToArray();
            var thisUpdate = ReadTime(tbs);
            DateTimeOffset? nextUpdate = tbs.HasData && IsTime(tbs.PeekTag()) ? ReadTime(tbs) : null;
            var revoked = new HashSet<string>(StringComparer.Ordinal);
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var entries = tbs.ReadSequence();
                while (entries.HasData)
                {
                    var entry = entries.ReadSequence();
                    revoked.Add(SerialKey(entry.ReadIntegerBytes().Span));
                }
            }

            var algorithm = certificateList.ReadSequence().ReadObjectIdentifier();
            var signature = certificateList.ReadBitString(out _);
            return new RevocationList(issuer, thisUpdate, nextUpdate, revoked, signedPart, algorithm, signature);
        }
        catch (AsnContentException ex)
        {
            throw new InvalidDataException($"not a certificate revocation list: {ex.Message}", ex);
        }
    }

    /// <summary>Whether <paramref name="certificate"/>'s serial number is on the list.</summary>
    public bool Revokes(X509Certificate2 certificate) => _revokedSerials.Contains(SerialKey(certificate.SerialNumberBytes.Span));

    /// <summary>Whether the list is signed by <paramref name="issuer"/>'s key (RSA PKCS#1 v1.5 or ECDSA).</summary>
    public bool IsSignedBy(X509Certificate2 issuer)
    {
        if (HashFor(_signatureAlgorithm) is not { } hash)
        {
            return false;
        }

        if (_signatureAlgorithm.StartsWith("1.2.840.10045.", StringComparison.Ordinal))
        {
            using var ecdsa = issuer.GetECDsaPublicKey();
            return ecdsa is not null && ecdsa.VerifyData(_signedPart, _signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = issuer.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(_signedPart, _signature, hash, RSASignaturePadding.Pkcs1);
    }

    private static HashAlgorithmName? HashFor(string oid) => oid switch
    {
        "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" => HashAlgorithmName.SHA1,
        "1.2.840.113549.1.1.11" or "1.2.840.10045.4.3.2" => HashAlgorithmName.SHA256,
        "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
        "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>A serial number as a key: its big-endian bytes without leading zeros.</summary>
    private static string SerialKey(ReadOnlySpan<byte> serial)
    {
        while (serial.Length > 1 && serial[0] == 0)
        {
            serial = serial[1..];
        }

        return Convert.ToHexString(serial);
    }

    private static bool IsTime(Asn1Tag tag) => tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
}
