using System.Globalization;

namespace Sidecar.LoadHarness.Cli;

/// <summary>Parses durations as load tools write them: <c>30s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>, <c>1.5s</c>; a bare number is seconds.</summary>
internal static class DurationParser
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var unitStart = span.Length;
        while (unitStart > 0 && char.IsAsciiLetter(span[unitStart - 1]))
        {
            unitStart--;
        }

        if (!double.TryParse(span[..unitStart], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        double? seconds = span[unitStart..] switch
        {
            "" or "s" => value,
            "ms" => value / 1000,
            "us" => value / 1_000_000,
            "m" => value * 60,
            "h" => value * 3600,
            _ => null,
        };
        if (seconds is null || seconds > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }
}
