using System.Net;

namespace Sidecar.Proxy.Dns;

/// <summary>
/// The pod's resolver settings as pilot-agent reads them (miekg/dns <c>ClientConfigFromFile</c>): the nameservers
/// queries are forwarded to, in order, on port 53, and the <c>search</c> domains. A missing file means no upstream:
/// names the table does not know get SERVFAIL.
/// </summary>
internal sealed record ResolvConf(IReadOnlyList<IPEndPoint> Nameservers, IReadOnlyList<string> SearchDomains)
{
    public static readonly ResolvConf None = new([], []);

    public static ResolvConf Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : None;

    public static ResolvConf Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<IPEndPoint>();
        IReadOnlyList<string> search = [];
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0].StartsWith('#') || fields[0].StartsWith(';'))
            {
                continue;
            }

            switch (fields[0])
            {
                // A link-local server keeps its zone (fe80::1%eth0) where the interface is known here.
                case "nameserver" when IPAddress.TryParse(fields[1], out var address) || IPAddress.TryParse(fields[1].Split('%')[0], out address):
                    servers.Add(new IPEndPoint(address, 53));
                    break;
                // The last search or domain line wins, as for the C library; domain names one domain.
                case "search":
                    search = fields[1..];
                    break;
                case "domain":
                    search = [fields[1]];
                    break;
            }
        }

        return new ResolvConf(servers, search);
    }
}
