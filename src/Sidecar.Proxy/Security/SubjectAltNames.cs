using System.Security.Cryptography.X509Certificates;
using Sidecar.Identity;
using Sidecar.Model;

namespace Sidecar.Proxy.Security;

/// <summary>Envoy's <c>match_typed_subject_alt_names</c> as Istio fills it: the peer must carry one of the expected SANs.</summary>
internal static class SubjectAltNames
{
    /// <summary>True when <paramref name="expected"/> is empty or the certificate carries one of its values as a URI or DNS SAN.</summary>
    public static bool Match(X509Certificate2 certificate, EquatableArray<string> expected)
    {
        if (expected.IsEmpty)
        {
            return true;
        }

        foreach (var uri in SpiffeIds.Read(certificate))
        {
            if (expected.AsSpan().Contains(uri))
            {
                return true;
            }
        }

        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (var dns in san.EnumerateDnsNames())
                {
                    if (expected.AsSpan().Contains(dns))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }
}
