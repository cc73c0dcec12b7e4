namespace Sidecar.Istio.Resources.Mesh;

/// <summary>
/// One tracing entry of MeshConfig <c>extensionProviders</c>: <c>opentelemetry</c> (<c>service</c>, <c>port</c>, and
/// <c>http.path</c> for OTLP/HTTP, gRPC otherwise) or <c>zipkin</c> (<c>service</c>, <c>port</c>, <c>path</c>).
/// </summary>
public sealed record TracingExtensionProvider
{
    public string Name { get; init; } = "";

    /// <summary><c>opentelemetry</c> or <c>zipkin</c>.</summary>
    public string Kind { get; init; } = "";

    public string Service { get; init; } = "";

    public int Port { get; init; }

    /// <summary>OTLP/HTTP: <c>opentelemetry.http.path</c> (default <c>/v1/traces</c>); Zipkin: <c>zipkin.path</c> (default <c>/api/v2/spans</c>); null for OTLP/gRPC.</summary>
    public string? Path { get; init; }
}
