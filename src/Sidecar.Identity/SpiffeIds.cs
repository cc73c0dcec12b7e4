using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>SPIFFE ids: building them, and reading the URI SANs of a certificate (which the BCL does not expose).</summary>
public static class SpiffeIds
{
    public const string Scheme = "spiffe://";
    private const string SubjectAltNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary><c>spiffe://&lt;trust-domain&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;</c>.</summary>
    public static string ForServiceAccount(string trustDomain, string ns, string serviceAccount) =>
        $"{Scheme}{trustDomain}/ns/{ns}/sa/{serviceAccount}";

    /// <summary>The <c>spiffe://</c> URI SANs of <paramref name="certificate"/>.</summary>
    public static List<string> Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var result = new List<string>(1);
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            // GeneralNames ::= SEQUENCE OF GeneralName; uniformResourceIdentifier is [6] IA5String (implicit).
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag == UriTag)
                {
                    var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                    if (uri.StartsWith(Scheme, StringComparison.Ordinal))
                    {
                        result.Add(uri);
                    }
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }

        return result;
    }
}
