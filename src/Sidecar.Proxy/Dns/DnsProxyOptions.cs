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

    /// <summary>The UDP and TCP port it listens on, on localhost (or the <c>--bind</c> address when that is specific).</summary>
    public int Port { get; init; } = 15053;

    /// <summary>Where the upstream nameservers and search domains are read from.</summary>
    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";
}
