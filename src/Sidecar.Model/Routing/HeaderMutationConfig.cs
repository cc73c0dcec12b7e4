namespace Sidecar.Model;

/// <summary>A header name and value to write.</summary>
public sealed record HeaderValueConfig(string Name, string Value);

/// <summary>
/// Header operations, applied remove, then set, then add (Istio's <c>headers.request|response</c>: <c>set</c> is
/// Envoy's OVERWRITE_IF_EXISTS_OR_ADD, <c>add</c> is APPEND_IF_EXISTS_OR_ADD).
/// </summary>
public sealed record HeaderMutationConfig
{
    public static readonly HeaderMutationConfig None = new();

    public EquatableArray<HeaderValueConfig> Set { get; init; }

    public EquatableArray<HeaderValueConfig> Add { get; init; }

    public EquatableArray<string> Remove { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => Set.IsEmpty && Add.IsEmpty && Remove.IsEmpty;
}
