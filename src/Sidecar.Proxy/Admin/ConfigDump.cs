using System.Text.Json;
using System.Text.Json.Serialization;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin;

/// <summary>What <c>/config_dump</c> returns: the snapshot being served, its version and origin, and the last refusal.</summary>
internal sealed record ConfigDump(
    string? Version,
    ConfigOrigin? Source,
    long PushCount,
    long RejectedCount,
    ConfigRejection? LastRejection,
    ProxyConfig? Config);

/// <summary>Source-generated JSON for the admin endpoints (NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    Converters = [typeof(LabelsJsonConverter)])]
[JsonSerializable(typeof(ConfigDump))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;

/// <summary>Labels as a JSON object, as Kubernetes writes them.</summary>
internal sealed class LabelsJsonConverter : JsonConverter<Labels>
{
    public override Labels Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Labels are written, not read, by the admin endpoints.");

    public override void Write(Utf8JsonWriter writer, Labels value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, label) in value)
        {
            writer.WriteString(key, label);
        }

        writer.WriteEndObject();
    }
}
