namespace Sidecar.Model;

/// <summary>
/// Istio's locality text, <c>region/zone/subzone</c> (the model's form), as the three fields of Envoy's
/// <c>config.core.v3.Locality</c>; missing parts are empty, as in Envoy's protos.
/// </summary>
public readonly record struct LocalityParts(string Region, string Zone, string SubZone)
{
    public bool IsEmpty => Region.Length == 0 && Zone.Length == 0 && SubZone.Length == 0;

    public static LocalityParts Parse(string? locality)
    {
        var parts = (locality ?? "").Split('/');
        return new(parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : "");
    }

    /// <summary>The model's text (trailing empty parts dropped), or null for an empty locality.</summary>
    public string? ToText() => IsEmpty ? null : $"{Region}/{Zone}/{SubZone}".TrimEnd('/');
}
