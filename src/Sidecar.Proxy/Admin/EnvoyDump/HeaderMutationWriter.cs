using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>A header mutation as Envoy's <c>request_headers_to_add/remove</c> (or <c>response_</c>) pair of fields.</summary>
internal static class HeaderMutationWriter
{
    /// <param name="direction"><c>request</c> or <c>response</c>, the fields' prefix.</param>
    public static void Write(Utf8JsonWriter writer, string direction, HeaderMutationConfig mutation)
    {
        if (!mutation.Set.IsEmpty || !mutation.Add.IsEmpty)
        {
            writer.WriteStartArray($"{direction}_headers_to_add");
            foreach (var header in mutation.Set)
            {
                WriteHeader(writer, header, "OVERWRITE_IF_EXISTS_OR_ADD");
            }

            foreach (var header in mutation.Add)
            {
                WriteHeader(writer, header, "APPEND_IF_EXISTS_OR_ADD");
            }

            writer.WriteEndArray();
        }

        if (!mutation.Remove.IsEmpty)
        {
            writer.WriteStartArray($"{direction}_headers_to_remove");
            foreach (var name in mutation.Remove)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }
    }

    private static void WriteHeader(Utf8JsonWriter writer, HeaderValueConfig header, string appendAction)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("header");
        writer.WriteString("key", header.Name);
        writer.WriteString("value", header.Value);
        writer.WriteEndObject();
        writer.WriteString("append_action", appendAction);
        writer.WriteEndObject();
    }
}
