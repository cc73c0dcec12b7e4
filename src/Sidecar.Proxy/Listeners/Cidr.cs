using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Sidecar.Proxy.Listeners;

/// <summary>An address range such as <c>10.0.0.0/8</c> (a bare address is a /32 or /128).</summary>
internal readonly record struct Cidr(IPAddress Network, int PrefixLength)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out Cidr cidr)
    {
        cidr = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        var length = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), out length) || length < 0 || length > max))
        {
            return false;
        }

        cidr = new Cidr(address, length);
        return true;
    }

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Network.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        Network.TryWriteBytes(n, out _);
        var full = PrefixLength / 8;
        if (!a[..full].SequenceEqual(n[..full]))
        {
            return false;
        }

        var rest = PrefixLength % 8;
        if (rest == 0 || full >= length)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (n[full] & mask);
    }
}
