namespace Sidecar.Proxy.Dns;

/// <summary>
/// pilot-agent's DNS proxy (<c>ISTIO_META_DNS_CAPTURE</c>): with the init program's <c>--redirect-dns</c>, the pod's
/// DNS queries reach it on 15053; it answers the mesh's names from the name table and forwards the rest to the
/// nameservers of resolv.conf.
/// </summary>
public sealed record DnsProxyOptions
{
    public static readonly DnsProxyOptions Disabled = new();

    /// <summary>Whether the DNS proxy runs (Istio's <c>ISTIO_META_DNS_CAPTURE=true</c>).</summary>
    public bool Enabled { get; init; }

    /// <summary>ServiceEntries without addresses get one from 240.240.0.0/16 for the proxy to answer and route
    /// (<c>ISTIO_META_DNS_AUTO_ALLOCATE=true</c>; only with <see cref="Enabled"/>, as istiod requires both).</summary>
    public bool AutoAllocate { get; init; }

    /// <summary>pilot-agent's <c>DNS_FORWARD_PARALLEL</c>: a query the table cannot answer goes to every nameserver at
    /// once, the first answer winning, instead of to each in turn.</summary>
    public bool ForwardParallel { get; init; }

    /// <summary>The address it listens on (pilot-agent's <c>DNS_PROXY_ADDR</c>); null: the <c>--bind</c> address when
    /// that is specific, else localhost: 127.0.0.1 and, where resolv.conf names IPv6 nameservers, ::1.</summary>
    public System.Net.IPAddress? Address { get; init; }

    /// <summary>The UDP and TCP port it listens on. On 53 (a VM or container without DNS capture rules, as root) it
    /// answers before the first config by forwarding, and reads /var/lib/istio/resolv.conf where that exists.</summary>
    public int Port { get; init; } = 15053;

    /// <summary>Where the upstream nameservers and search domains are read from; null: /etc/resolv.conf (or, on
    /// port 53, /var/lib/istio/resolv.conf where that exists, as the machine's own then names this proxy).</summary>
    public string? ResolvConfPath { get; init; }

    /// <summary>Parses pilot-agent's <c>DNS_PROXY_ADDR</c> (<c>localhost:15053</c>, <c>127.0.0.1:53</c>, <c>[::1]:53</c>);
    /// <paramref name="address"/> is null for <c>localhost</c> (the loopback address of each nameserver family).</summary>
    public static bool TryParseAddress(string value, out System.Net.IPAddress? address, out int port)
    {
        ArgumentNullException.ThrowIfNull(value);
        address = null;
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        var host = value[..colon].Trim('[', ']');
        return host == "localhost" || System.Net.IPAddress.TryParse(host, out address);
    }
}
