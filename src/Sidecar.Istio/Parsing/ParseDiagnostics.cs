using Sidecar.Model;

namespace Sidecar.Istio.Parsing;

/// <summary>Collects the errors found while reading one document, each naming the file, the resource and the field.</summary>
internal sealed class ParseDiagnostics(string file, List<ConfigError> errors)
{
    public string File { get; } = file;

    /// <summary>The resource being read (<c>VirtualService default/reviews</c>), once its metadata is known.</summary>
    public string? Resource { get; set; }

    public int ErrorCount => errors.Count;

    public void Error(string? field, string message, int line) =>
        errors.Add(new ConfigError(File, Resource, field, line > 0 ? $"{message} (line {line})" : message));
}
