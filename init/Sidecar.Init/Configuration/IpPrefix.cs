using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sidecar.Init.Configuration;

/// <summary>
/// An address with a prefix length, parsed as strictly as Go's <c>netip.ParsePrefix</c> (which istio-iptables uses):
/// dotted-quad IPv4 without leading zeros, no zone, and host bits kept as written.
/// </summary>
internal readonly record struct IpPrefix(IPAddress Address, int Bits)
{
    public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;

    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>Formats as <c>netip.Prefix.String()</c> does: the address as written (not masked), a slash, the length.</summary>
    public override string ToString() => IpText.Format(Address) + "/" + Bits.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out IpPrefix prefix)
    {
        prefix = default;
        var slash = text.LastIndexOf('/');
        if (slash <= 0 || slash == text.Length - 1)
        {
            return false;
        }
        if (!IpText.TryParse(text.AsSpan(0, slash), out var address))
        {
            return false;
        }
        var bitsText = text.AsSpan(slash + 1);
        if (!IpText.IsCanonicalDecimal(bitsText) || !int.TryParse(bitsText, NumberStyles.None, CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (bits > max)
        {
            return false;
        }
        prefix = new IpPrefix(address, bits);
        return true;
    }
}
