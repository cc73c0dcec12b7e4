using System.Globalization;
using System.Text;

namespace Sidecar.Istio.Resources;

/// <summary>
/// A protobuf <c>Duration</c> as Istio's YAML writes it, in Go's <c>time.ParseDuration</c> form (<c>1s</c>,
/// <c>0.5s</c>, <c>100ms</c>, <c>1h30m</c>). Kept in nanoseconds so Istio's "ms precision" rule can be checked exactly.
/// </summary>
public readonly record struct IstioDuration(long Nanoseconds)
{
    private const long NanosPerMillisecond = 1_000_000;

    public TimeSpan ToTimeSpan() => TimeSpan.FromTicks(Nanoseconds / 100);

    public bool IsWholeMilliseconds => Nanoseconds % NanosPerMillisecond == 0;

    public static IstioDuration FromTimeSpan(TimeSpan value) => new(value.Ticks * 100);

    /// <summary>Parses Go's duration syntax: an optional sign, then one or more decimal numbers each with a unit
    /// (<c>ns</c>, <c>us</c>, <c>µs</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>); <c>0</c> needs no unit.</summary>
    public static bool TryParse(string text, out IstioDuration duration, out string? error)
    {
        duration = default;
        error = null;
        var s = text.Trim();
        if (s.Length == 0)
        {
            error = "empty duration";
            return false;
        }

        var negative = false;
        var i = 0;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            i++;
        }

        if (s.AsSpan(i) is "0")
        {
            return true;
        }

        decimal total = 0;
        var any = false;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !decimal.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                error = $"invalid duration '{text}': expected a number at position {start}";
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            decimal? scale = s.AsSpan(unitStart, i - unitStart) switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => null,
            };
            if (scale is null)
            {
                error = unitStart == i
                    ? $"invalid duration '{text}': missing unit (use ns, us, ms, s, m or h, e.g. '1s')"
                    : $"invalid duration '{text}': unknown unit '{s[unitStart..i]}'";
                return false;
            }

            total += number * scale.Value;
            any = true;
            if (total > long.MaxValue)
            {
                error = $"invalid duration '{text}': out of range";
                return false;
            }
        }

        if (!any)
        {
            error = $"invalid duration '{text}'";
            return false;
        }

        var nanos = (long)decimal.Truncate(total);
        duration = new IstioDuration(negative ? -nanos : nanos);
        return true;
    }

    /// <summary>Go's <c>Duration.String()</c> form, e.g. <c>1h30m0s</c>, <c>100ms</c>.</summary>
    public override string ToString()
    {
        if (Nanoseconds == 0)
        {
            return "0s";
        }

        var n = Math.Abs((decimal)Nanoseconds);
        var sb = new StringBuilder();
        if (Nanoseconds < 0)
        {
            sb.Append('-');
        }

        if (n < 1_000_000_000m)
        {
            var (value, unit) = n >= 1_000_000m ? (n / 1_000_000m, "ms") : n >= 1_000m ? (n / 1_000m, "us") : (n, "ns");
            return sb.Append(value.ToString("0.#########", CultureInfo.InvariantCulture)).Append(unit).ToString();
        }

        var hours = decimal.Truncate(n / 3_600_000_000_000m);
        n -= hours * 3_600_000_000_000m;
        var minutes = decimal.Truncate(n / 60_000_000_000m);
        n -= minutes * 60_000_000_000m;
        var seconds = n / 1_000_000_000m;
        if (hours > 0)
        {
            sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            sb.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        return sb.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s').ToString();
    }
}
