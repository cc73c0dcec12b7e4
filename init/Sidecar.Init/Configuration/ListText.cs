namespace Sidecar.Init.Configuration;

/// <summary>Comma separated flag values, split as Istio's config.Split does: empty entries are dropped.</summary>
internal static class ListText
{
    public static string[] Split(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
