using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Sidecar.Identity;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// The entries of Envoy's <c>SecretsConfigDump</c>: the workload certificate as SDS secret <c>default</c> (chain in
/// PEM, the key redacted as Envoy redacts it) and the trust roots as <c>ROOTCA</c>, what
/// <c>istioctl proxy-config secret</c> decodes to show serial numbers and validity.
/// </summary>
internal static class SecretsWriter
{
    public static IReadOnlyList<DumpItem> Items(WorkloadCertificate? certificate, int generation)
    {
        if (certificate is null)
        {
            return [];
        }

        var version = generation.ToString(CultureInfo.InvariantCulture);
        var updated = certificate.NotBefore.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var chain = Pem([certificate.Leaf, .. certificate.Intermediates]);
        var roots = Pem([.. certificate.Roots]);
        return
        [
            new DumpItem("default", writer => WriteSecret(writer, "default", version, updated, secret =>
            {
                secret.WriteStartObject("tls_certificate");
                WriteInlineBytes(secret, "certificate_chain", chain);
                secret.WriteStartObject("private_key");
                secret.WriteString("inline_string", "[redacted]");
                secret.WriteEndObject();
                secret.WriteEndObject();
            })),
            new DumpItem("ROOTCA", writer => WriteSecret(writer, "ROOTCA", version, updated, secret =>
            {
                secret.WriteStartObject("validation_context");
                WriteInlineBytes(secret, "trusted_ca", roots);
                secret.WriteEndObject();
            })),
        ];
    }

    private static void WriteSecret(Utf8JsonWriter writer, string name, string version, string updated, Action<Utf8JsonWriter> writeContent)
    {
        writer.WriteString("name", name);
        writer.WriteString("version_info", version);
        writer.WriteString("last_updated", updated);
        EnvoyJson.StartTyped(writer, "secret", "envoy.extensions.transport_sockets.tls.v3.Secret");
        writer.WriteString("name", name);
        writeContent(writer);
        writer.WriteEndObject();
    }

    /// <summary>A <c>DataSource</c> with <c>inline_bytes</c> (base64 in JSON, as protojson writes bytes).</summary>
    private static void WriteInlineBytes(Utf8JsonWriter writer, string property, byte[] bytes)
    {
        writer.WriteStartObject(property);
        writer.WriteBase64String("inline_bytes", bytes);
        writer.WriteEndObject();
    }

    private static byte[] Pem(IEnumerable<X509Certificate2> certificates)
    {
        var pem = new StringBuilder();
        foreach (var certificate in certificates)
        {
            pem.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        return Encoding.ASCII.GetBytes(pem.ToString());
    }
}
