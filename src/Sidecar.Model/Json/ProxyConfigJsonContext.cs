using System.Text.Json.Serialization;

namespace Sidecar.Model.Json;

/// <summary>
/// Source-generated JSON of a snapshot (NativeAOT-safe): every public field of every record, written without building
/// strings. <c>/config_dump</c> shows it and the config fingerprint hashes it.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    Converters = [typeof(LabelsJsonConverter)])]
[JsonSerializable(typeof(ProxyConfig))]
[JsonSerializable(typeof(ConfigRejection))]
public sealed partial class ProxyConfigJsonContext : JsonSerializerContext;
