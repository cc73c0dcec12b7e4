using System.Net;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// Where a captured connection was going before iptables redirected it (SO_ORIGINAL_DST), attached to the
/// connection by the capture listeners.
/// </summary>
internal sealed class OriginalDestinationFeature
{
    public OriginalDestinationFeature(IPEndPoint endpoint)
    {
        Endpoint = endpoint;
        Authority = endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{endpoint.Address}]:{endpoint.Port}"
            : $"{endpoint.Address}:{endpoint.Port}";
        DestinationPrefix = "http://" + Authority;
    }

    public IPEndPoint Endpoint { get; }

    /// <summary><c>10.0.0.7:8080</c>: the upstream host a passthrough request is logged with (%UPSTREAM_HOST%).</summary>
    public string Authority { get; }

    /// <summary>The forwarder prefix for passthrough (<c>http://10.0.0.7:8080</c>), built once per connection.</summary>
    public string DestinationPrefix { get; }
}
