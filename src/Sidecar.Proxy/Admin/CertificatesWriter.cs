using System.Buffers;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Sidecar.Identity;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// Envoy's <c>/certs</c> (<c>admin.v3.Certificates</c>): the workload's certificate chain and its trust roots, each
/// with serial number, SANs, validity and days until expiration, as Envoy lists the certificates its TLS contexts
/// hold (Istio's all share the one workload identity, so there is one entry).
/// </summary>
internal static class CertificatesWriter
{
    public static byte[] Write(WorkloadCertificate? certificate, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("certificates");
            if (certificate is not null)
            {
                writer.WriteStartObject();
                WriteDetails(writer, "ca_cert", certificate.Roots, now);
                WriteDetails(writer, "cert_chain", [certificate.Leaf, .. certificate.Intermediates], now);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteDetails(Utf8JsonWriter writer, string property, IEnumerable<X509Certificate2> certificates, DateTimeOffset now)
    {
        writer.WriteStartArray(property);
        foreach (var certificate in certificates)
        {
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            writer.WriteStartObject();
            writer.WriteString("path", "<inline>");
            writer.WriteString("serial_number", certificate.SerialNumber.ToLowerInvariant());
            writer.WriteStartArray("subject_alt_names");
            foreach (var uri in SpiffeIds.Read(certificate))
            {
                writer.WriteStartObject();
                writer.WriteString("uri", uri);
                writer.WriteEndObject();
            }

            if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } names)
            {
                foreach (var dns in names.EnumerateDnsNames())
                {
                    writer.WriteStartObject();
                    writer.WriteString("dns", dns);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
            // uint64 in proto3 JSON: a string.
            writer.WriteString("days_until_expiration", Math.Max(0, (long)(notAfter - now).TotalDays).ToString(CultureInfo.InvariantCulture));
            writer.WriteString("valid_from", certificate.NotBefore.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("expiration_time", notAfter.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
