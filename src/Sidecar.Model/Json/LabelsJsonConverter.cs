using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sidecar.Model.Json;

/// <summary>Labels as a JSON object, as Kubernetes writes them.</summary>
public sealed class LabelsJsonConverter : JsonConverter<Labels>
{
    public override Labels Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Labels are written, not read, as JSON.");

    public override void Write(Utf8JsonWriter writer, Labels value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        foreach (var (key, label) in value)
        {
            writer.WriteString(key, label);
        }

        writer.WriteEndObject();
    }
}
