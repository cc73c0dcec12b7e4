using System.Buffers;
using System.Text;
using System.Text.Json;
using Envoy.Extensions.AccessLoggers.File.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using EnvoyAccessLog = Envoy.Config.Accesslog.V3.AccessLog;

namespace Sidecar.Xds.Translation;

/// <summary>
/// The connection managers' file access log (what istiod writes from the mesh's <c>accessLogFile</c>,
/// <c>accessLogEncoding</c> and <c>accessLogFormat</c>) as the model's telemetry settings: the path, TEXT or JSON, and
/// the format. A format this sidecar cannot print is warned about and the default format used, as the standalone
/// source would not have accepted it either.
/// </summary>
internal static class AccessLogTranslator
{
    /// <summary>The file access log among <paramref name="logs"/>, or null when the connection manager logs nothing to a file.</summary>
    public static (string Path, AccessLogEncoding Encoding, string Format)? Read(IEnumerable<EnvoyAccessLog> logs, TranslationErrors errors, string resource, string field)
    {
        foreach (var log in logs)
        {
            if (log.TypedConfig?.TryUnpack<FileAccessLog>(out var file) != true || file.Path.Length == 0)
            {
                continue;
            }

            var (encoding, format) = file.AccessLogFormatCase switch
            {
                FileAccessLog.AccessLogFormatOneofCase.Format => (AccessLogEncoding.Text, file.Format),
                FileAccessLog.AccessLogFormatOneofCase.JsonFormat => (AccessLogEncoding.Json, Json(file.JsonFormat)),
                FileAccessLog.AccessLogFormatOneofCase.TypedJsonFormat => (AccessLogEncoding.Json, Json(file.TypedJsonFormat)),
                FileAccessLog.AccessLogFormatOneofCase.LogFormat => file.LogFormat.FormatCase switch
                {
                    Envoy.Config.Core.V3.SubstitutionFormatString.FormatOneofCase.JsonFormat => (AccessLogEncoding.Json, Json(file.LogFormat.JsonFormat)),
                    Envoy.Config.Core.V3.SubstitutionFormatString.FormatOneofCase.TextFormat => (AccessLogEncoding.Text, file.LogFormat.TextFormat),
                    _ => (AccessLogEncoding.Text, file.LogFormat.TextFormatSource?.InlineString ?? ""),
                },
                _ => (AccessLogEncoding.Text, ""),
            };
            // Envoy's format strings end with the line break; this sidecar's access log adds its own.
            format = format.TrimEnd('\n');
            if (format.Length > 0 && AccessLogTemplate.Parse(format, encoding, out var error) is null)
            {
                errors.Warn(resource, field, $"access log format refused ({error}): the default format is used");
                format = "";
            }

            return (file.Path, encoding, format);
        }

        return null;
    }

    /// <summary>A <c>Struct</c> of format strings as the JSON object text the model's access log format holds.</summary>
    private static string Json(Struct format)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, Value.ForStruct(format));
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, Value value)
    {
        switch (value.KindCase)
        {
            case Value.KindOneofCase.StructValue:
                writer.WriteStartObject();
                foreach (var (key, field) in value.StructValue.Fields)
                {
                    writer.WritePropertyName(key);
                    Write(writer, field);
                }

                writer.WriteEndObject();
                break;
            case Value.KindOneofCase.ListValue:
                writer.WriteStartArray();
                foreach (var item in value.ListValue.Values)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case Value.KindOneofCase.StringValue:
                writer.WriteStringValue(value.StringValue);
                break;
            case Value.KindOneofCase.NumberValue:
                writer.WriteNumberValue(value.NumberValue);
                break;
            case Value.KindOneofCase.BoolValue:
                writer.WriteBooleanValue(value.BoolValue);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
