namespace Sidecar.Istio.Resources.Mesh;

/// <summary>
/// An access log entry of MeshConfig <c>extensionProviders</c>: <c>envoyFileAccessLog</c> (the file, <c>path</c>,
/// and one format: <c>logFormat.text</c>, an Envoy format string, or <c>logFormat.labels</c>, JSON keys to format
/// strings) or <c>envoyOtelAls</c> (the OTLP/gRPC collector, <c>service</c> and <c>port</c>; <c>logFormat.text</c> is
/// the record's body and <c>logFormat.labels</c> its attributes, both may be set).
/// </summary>
public sealed record AccessLogExtensionProvider
{
    public const string FileKind = "envoyFileAccessLog";
    public const string OpenTelemetryKind = "envoyOtelAls";

    public string Name { get; init; } = "";

    /// <summary><see cref="FileKind"/> or <see cref="OpenTelemetryKind"/>.</summary>
    public string Kind { get; init; } = FileKind;

    public string Path { get; init; } = "";

    /// <summary>The collector's host (<c>envoyOtelAls.service</c>, optionally <c>namespace/host</c>).</summary>
    public string Service { get; init; } = "";

    public int Port { get; init; }

    /// <summary><c>logFormat.text</c>, or null.</summary>
    public string? Text { get; init; }

    /// <summary><c>logFormat.labels</c> in document order, or null.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Labels { get; init; }
}
