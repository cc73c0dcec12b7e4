using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// A logical Kestrel endpoint with no socket of its own: the sidecar's listeners accept and sniff connections,
/// then relay each one to the Kestrel endpoint for its HTTP version (HTTP/1.x, or HTTP/2 with prior knowledge).
/// </summary>
internal sealed class RelayEndPoint : EndPoint
{
    public static readonly RelayEndPoint Http1 = new(HttpProtocols.Http1);
    public static readonly RelayEndPoint Http2 = new(HttpProtocols.Http2);

    private RelayEndPoint(HttpProtocols protocols) => Protocols = protocols;

    public HttpProtocols Protocols { get; }

    public override string ToString() => $"relay:{Protocols}";
}
