namespace Sidecar.Model;

/// <summary>
/// A fraction in parts per million, as Envoy's <c>FractionalPercent</c> with denominator MILLION. Istio's
/// <c>percentage.value</c> (0-100, a double) maps to <c>value * 10000</c>.
/// </summary>
public readonly record struct Percentage(int PartsPerMillion)
{
    public const int Million = 1_000_000;

    public static Percentage Full => new(Million);

    public static Percentage None => new(0);

    /// <summary>From Istio's percent (0-100), rounded to Envoy's resolution.</summary>
    public static Percentage FromPercent(double percent) => new((int)Math.Round(Math.Clamp(percent, 0, 100) * 10_000));

    [System.Text.Json.Serialization.JsonIgnore]
    public double Percent => PartsPerMillion / 10_000.0;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFull => PartsPerMillion >= Million;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsNone => PartsPerMillion <= 0;

    /// <summary>Whether a uniform draw in [0, 1 000 000) falls inside this fraction.</summary>
    public bool Includes(int drawPartsPerMillion) => drawPartsPerMillion < PartsPerMillion;

    public override string ToString() => $"{Percent}%";
}
