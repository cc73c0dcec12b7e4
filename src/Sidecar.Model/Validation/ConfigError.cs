namespace Sidecar.Model;

/// <summary>
/// Why a config was refused, naming where: the file (standalone source), the resource
/// (<c>VirtualService default/reviews</c>) and the field path (<c>spec.http[0].route[1].weight</c>).
/// </summary>
public sealed record ConfigError(string? File, string? Resource, string? Field, string Message)
{
    public override string ToString()
    {
        var where = string.Join(": ", new[] { File, Resource, Field }.Where(part => !string.IsNullOrEmpty(part)));
        return where.Length == 0 ? Message : $"{where}: {Message}";
    }
}

/// <summary>A refused config: every error found, and when.</summary>
public sealed record ConfigRejection(DateTimeOffset At, string Source, EquatableArray<ConfigError> Errors)
{
    public override string ToString() => string.Join(Environment.NewLine, Errors.Select(e => e.ToString()));
}
