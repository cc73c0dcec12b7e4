namespace Sidecar.Istio.Resources.Mesh;

/// <summary>
/// An <c>envoyFileAccessLog</c> entry of MeshConfig <c>extensionProviders</c>: the file (<c>path</c>) and the format,
/// <c>logFormat.text</c> (an Envoy format string) or <c>logFormat.labels</c> (JSON keys to Envoy format strings).
/// </summary>
public sealed record AccessLogExtensionProvider
{
    public string Name { get; init; } = "";

    public string Path { get; init; } = "";

    /// <summary><c>logFormat.text</c>, or null.</summary>
    public string? Text { get; init; }

    /// <summary><c>logFormat.labels</c> in document order, or null.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Labels { get; init; }
}
