using System.Net.Sockets;
using Sidecar.Init.Configuration;

namespace Sidecar.Init.PodFacts;

/// <summary>
/// The pod's nameservers, from resolv.conf. With --redirect-dns, istio-iptables captures DNS sent to exactly these
/// servers, split by address family (netutil.IPsSplitV4V6); entries that are not IP addresses are skipped.
/// </summary>
internal sealed record ResolvConf(IReadOnlyList<string> ServersV4, IReadOnlyList<string> ServersV6)
{
    public const string DefaultPath = "/etc/resolv.conf";

    public static ResolvConf Load(string path) => Parse(File.ReadAllText(path));

    public static ResolvConf Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var v4 = new List<string>();
        var v6 = new List<string>();
        foreach (var rawLine in text.Split('\n'))
        {
            var fields = rawLine.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0] != "nameserver")
            {
                continue;
            }
            if (!IpText.TryParse(fields[1], out var address))
            {
                continue;
            }
            (address.AddressFamily == AddressFamily.InterNetwork ? v4 : v6).Add(IpText.Format(address));
        }
        return new ResolvConf(v4, v6);
    }
}
