using System.Globalization;
using System.Text;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// <c>%START_TIME(format)%</c>: strftime's common specifiers in UTC plus Envoy's additions (<c>%s</c> epoch seconds,
/// <c>%3f</c>/<c>%6f</c>/<c>%9f</c> fractional digits, <c>%E3S</c> seconds with fraction). An unknown specifier is
/// printed as written.
/// </summary>
internal static class EnvoyTimeFormat
{
    public static string Format(DateTimeOffset time, string format)
    {
        var utc = time.UtcDateTime;
        var text = new StringBuilder(format.Length + 16);
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                text.Append(format[i]);
                continue;
            }

            var spec = format[++i];
            if (char.IsAsciiDigit(spec) && i + 1 < format.Length && format[i + 1] == 'f')
            {
                Fraction(text, utc, spec - '0');
                i++;
                continue;
            }

            if (spec == 'E' && i + 2 < format.Length && char.IsAsciiDigit(format[i + 1]) && format[i + 2] == 'S')
            {
                text.Append(utc.Second.ToString("00", CultureInfo.InvariantCulture)).Append('.');
                Fraction(text, utc, format[i + 1] - '0');
                i += 2;
                continue;
            }

            text.Append(spec switch
            {
                'Y' => utc.Year.ToString("0000", CultureInfo.InvariantCulture),
                'y' => (utc.Year % 100).ToString("00", CultureInfo.InvariantCulture),
                'm' => utc.Month.ToString("00", CultureInfo.InvariantCulture),
                'd' => utc.Day.ToString("00", CultureInfo.InvariantCulture),
                'e' => utc.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
                'H' => utc.Hour.ToString("00", CultureInfo.InvariantCulture),
                'M' => utc.Minute.ToString("00", CultureInfo.InvariantCulture),
                'S' => utc.Second.ToString("00", CultureInfo.InvariantCulture),
                'j' => utc.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                'F' => utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                'T' => utc.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                'b' => utc.ToString("MMM", CultureInfo.InvariantCulture),
                'a' => utc.ToString("ddd", CultureInfo.InvariantCulture),
                'z' => "+0000",
                'Z' => "UTC",
                's' => time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                '%' => "%",
                _ => $"%{spec}",
            });
        }

        return text.ToString();
    }

    private static void Fraction(StringBuilder text, DateTime utc, int digits)
    {
        // Ticks are 100 ns: seven digits of the second; the eighth and ninth are zeros.
        var fraction = (utc.Ticks % TimeSpan.TicksPerSecond).ToString("0000000", CultureInfo.InvariantCulture) + "00";
        text.Append(fraction, 0, Math.Clamp(digits, 1, 9));
    }
}
