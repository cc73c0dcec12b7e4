using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// TLS transport sockets as istiod writes them: certificates by SDS name (<c>default</c> and <c>ROOTCA</c> for the
/// workload's own identity, <c>file-cert:</c>/<c>file-root:</c> for a DestinationRule's files), peer SANs, ALPN.
/// </summary>
internal static class TlsContextWriter
{
    private const string WorkloadSecret = "default";
    private const string RootSecret = "ROOTCA";

    /// <summary>An upstream <c>transport_socket</c> (Envoy's <c>UpstreamTlsContext</c>).</summary>
    public static void WriteUpstream(Utf8JsonWriter writer, string property, UpstreamTlsConfig tls)
    {
        writer.WriteStartObject(property);
        writer.WriteString("name", "envoy.transport_sockets.tls");
        EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
        writer.WriteStartObject("common_tls_context");
        WriteTlsParams(writer);
        WriteAlpn(writer, tls.Alpn);
        var (certificate, root) = tls.Mode switch
        {
            UpstreamTlsMode.IstioMutual => (WorkloadSecret, RootSecret),
            UpstreamTlsMode.Mutual => ($"file-cert:{tls.ClientCertificatePath}~{tls.PrivateKeyPath}", FileRoot(tls)),
            _ => (null, FileRoot(tls)),
        };
        if (certificate is not null)
        {
            WriteCertificateSecret(writer, certificate);
        }

        if (!tls.InsecureSkipVerify && (root is not null || !tls.SubjectAltNames.IsEmpty))
        {
            writer.WriteStartObject("combined_validation_context");
            writer.WriteStartObject("default_validation_context");
            if (!tls.SubjectAltNames.IsEmpty)
            {
                writer.WriteStartArray("match_subject_alt_names");
                foreach (var san in tls.SubjectAltNames)
                {
                    EnvoyJson.WriteStringMatcher(writer, null, new StringMatcherConfig(StringMatchKind.Exact, san));
                }

                writer.WriteEndArray();
            }

            if (tls.CaCrlPath is { } crl)
            {
                writer.WriteStartObject("crl");
                writer.WriteString("filename", crl);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            if (root is not null)
            {
                WriteSdsSecret(writer, "validation_context_sds_secret_config", root);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        if (tls.Sni is not null)
        {
            writer.WriteString("sni", tls.Sni);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A downstream <c>transport_socket</c> (Envoy's <c>DownstreamTlsContext</c>): Istio's inbound mTLS.</summary>
    public static void WriteDownstream(Utf8JsonWriter writer, string property, DownstreamTlsConfig tls)
    {
        writer.WriteStartObject(property);
        writer.WriteString("name", "envoy.transport_sockets.tls");
        EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext");
        writer.WriteStartObject("common_tls_context");
        WriteTlsParams(writer);
        WriteAlpn(writer, tls.Alpn);
        WriteCertificateSecret(writer, WorkloadSecret);
        writer.WriteStartObject("combined_validation_context");
        writer.WriteStartObject("default_validation_context");
        if (!tls.PeerSanPrefixes.IsEmpty)
        {
            writer.WriteStartArray("match_subject_alt_names");
            foreach (var prefix in tls.PeerSanPrefixes)
            {
                EnvoyJson.WriteStringMatcher(writer, null, new StringMatcherConfig(StringMatchKind.Prefix, prefix));
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        WriteSdsSecret(writer, "validation_context_sds_secret_config", RootSecret);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteBoolean("require_client_certificate", tls.RequireClientCertificate);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The plaintext socket of auto mTLS's second match (<c>tlsMode-disabled</c>).</summary>
    public static void WriteRawBuffer(Utf8JsonWriter writer, string property)
    {
        writer.WriteStartObject(property);
        writer.WriteString("name", "envoy.transport_sockets.raw_buffer");
        EnvoyJson.WriteEmptyTyped(writer, "typed_config", "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer");
        writer.WriteEndObject();
    }

    private static string? FileRoot(UpstreamTlsConfig tls) => tls.CaCertificatesPath is { } path ? $"file-root:{path}" : null;

    private static void WriteTlsParams(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("tls_params");
        writer.WriteString("tls_minimum_protocol_version", "TLSv1_2");
        writer.WriteString("tls_maximum_protocol_version", "TLSv1_3");
        writer.WriteEndObject();
    }

    private static void WriteAlpn(Utf8JsonWriter writer, EquatableArray<string> alpn)
    {
        if (alpn.IsEmpty)
        {
            return;
        }

        writer.WriteStartArray("alpn_protocols");
        foreach (var protocol in alpn)
        {
            writer.WriteStringValue(protocol);
        }

        writer.WriteEndArray();
    }

    private static void WriteCertificateSecret(Utf8JsonWriter writer, string name)
    {
        writer.WriteStartArray("tls_certificate_sds_secret_configs");
        WriteSdsSecret(writer, null, name);
        writer.WriteEndArray();
    }

    /// <summary>An <c>SdsSecretConfig</c> naming a secret served by the agent's SDS (<c>sds-grpc</c>).</summary>
    private static void WriteSdsSecret(Utf8JsonWriter writer, string? property, string name)
    {
        EnvoyJson.StartObject(writer, property);
        writer.WriteString("name", name);
        writer.WriteStartObject("sds_config");
        writer.WriteStartObject("api_config_source");
        writer.WriteString("api_type", "GRPC");
        writer.WriteBoolean("set_node_on_first_message_only", true);
        writer.WriteString("transport_api_version", "V3");
        writer.WriteStartArray("grpc_services");
        writer.WriteStartObject();
        writer.WriteStartObject("envoy_grpc");
        writer.WriteString("cluster_name", "sds-grpc");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteString("initial_fetch_timeout", "0s");
        writer.WriteString("resource_api_version", "V3");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
