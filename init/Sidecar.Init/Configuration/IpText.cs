using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sidecar.Init.Configuration;

/// <summary>
/// Strict textual IP addresses. <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone is too lenient for flags
/// that end up in iptables rules: it reads "10" as 0.0.0.10 and "010.0.0.1" as octal.
/// </summary>
internal static class IpText
{
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':'))
        {
            // IPv6; a zone ("%eth0") has no meaning in a rule.
            if (text.Contains('%') || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
            address = parsed;
            return true;
        }
        return TryParseIPv4(text, out address);
    }

    /// <summary>IPv6 in RFC 5952 form, IPv4 dotted; never a zone.</summary>
    public static string Format(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }
        return address.ToString();
    }

    public static bool IsCanonicalDecimal(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryParseIPv4(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        Span<byte> bytes = stackalloc byte[4];
        Span<Range> pieces = stackalloc Range[5];
        if (text.Split(pieces, '.') != 4)
        {
            return false;
        }
        for (var i = 0; i < 4; i++)
        {
            var piece = text[pieces[i]];
            if (piece.Length > 3 || !IsCanonicalDecimal(piece)
                || !int.TryParse(piece, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 255)
            {
                return false;
            }
            bytes[i] = (byte)value;
        }
        address = new IPAddress(bytes);
        return true;
    }
}
