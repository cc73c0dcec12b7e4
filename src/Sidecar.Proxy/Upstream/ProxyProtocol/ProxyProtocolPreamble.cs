using System.Net;
using System.Net.Sockets;
using Sidecar.Model;

namespace Sidecar.Proxy.Upstream.ProxyProtocol;

/// <summary>
/// What one connection pool writes first on each upstream connection it opens, before TLS and before any byte of
/// HTTP: the header for its downstream client (a pool per client connection, as Envoy keys its pools by the header),
/// or, for the cluster's shared pool, the header of a connection made for no client.
/// </summary>
internal sealed class ProxyProtocolPreamble
{
    private readonly ProxyProtocolVersion _version;
    private readonly byte[]? _clientHeader;

    private ProxyProtocolPreamble(ProxyProtocolVersion version, byte[]? clientHeader)
    {
        _version = version;
        _clientHeader = clientHeader;
    }

    /// <summary>For connections made on behalf of the client at <paramref name="source"/> that had dialled <paramref name="destination"/>.</summary>
    public static ProxyProtocolPreamble ForClient(ProxyProtocolVersion version, IPEndPoint source, IPEndPoint destination) =>
        new(version, ProxyProtocolHeader.For(version, source, destination));

    /// <summary>For connections made on behalf of no client.</summary>
    public static ProxyProtocolPreamble WithoutClient(ProxyProtocolVersion version) => new(version, null);

    /// <summary>Sends the header on a freshly connected socket (the whole of it: a stream socket's send completes in full).</summary>
    public async ValueTask WriteAsync(Socket upstream, CancellationToken cancellationToken)
    {
        var header = _clientHeader ?? ProxyProtocolHeader.WithoutClient(_version, upstream.LocalEndPoint, upstream.RemoteEndPoint);
        await upstream.SendAsync(header, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }
}
