using System.Buffers;
using System.Text.Json;
using Sidecar.Model;
using Sidecar.Model.Json;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// What <c>/config_dump</c> returns: the snapshot being served, its version and origin, and the last refusal. The
/// records go through the model's source-generated JSON (NativeAOT-safe), the one the config fingerprint uses, so the
/// binary carries one serializer for the model.
/// </summary>
internal static class ConfigDumpWriter
{
    public static byte[] Write(ProxyConfig? config, ProxyConfigStore store)
    {
        var json = ProxyConfigJsonContext.Default;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            if (config is not null)
            {
                writer.WriteString("version", config.Version);
                writer.WritePropertyName("source");
                JsonSerializer.Serialize(writer, config.Origin, json.ConfigOrigin);
            }

            writer.WriteNumber("push_count", store.PushCount);
            writer.WriteNumber("rejected_count", store.RejectedCount);
            if (store.LastRejection is { } rejection)
            {
                writer.WritePropertyName("last_rejection");
                JsonSerializer.Serialize(writer, rejection, json.ConfigRejection);
            }

            if (config is not null)
            {
                writer.WritePropertyName("config");
                JsonSerializer.Serialize(writer, config, json.ProxyConfig);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
