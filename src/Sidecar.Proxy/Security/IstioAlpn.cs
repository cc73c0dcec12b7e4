using System.Net.Security;

namespace Sidecar.Proxy.Security;

/// <summary>The ALPN lists Istio's client sidecar offers (its <c>istio.alpn</c> filter), by request protocol.</summary>
internal static class IstioAlpn
{
    public static readonly SslApplicationProtocol IstioH2 = new("istio-h2");
    public static readonly SslApplicationProtocol IstioHttp11 = new("istio-http/1.1");
    public static readonly SslApplicationProtocol IstioHttp10 = new("istio-http/1.0");
    public static readonly SslApplicationProtocol PeerExchange = new("istio-peer-exchange");
    public static readonly SslApplicationProtocol Istio = new("istio");

    /// <summary>HTTP/1.1 requests: <c>[istio-http/1.1, istio, http/1.1]</c>.</summary>
    public static readonly List<SslApplicationProtocol> Http11 = [IstioHttp11, Istio, SslApplicationProtocol.Http11];

    /// <summary>HTTP/1.0 requests: <c>[istio-http/1.0, istio, http/1.0]</c>.</summary>
    public static readonly List<SslApplicationProtocol> Http10 = [IstioHttp10, Istio, new("http/1.0")];

    /// <summary>HTTP/2 requests: <c>[istio-h2, istio, h2]</c>.</summary>
    public static readonly List<SslApplicationProtocol> Http2 = [IstioH2, Istio, SslApplicationProtocol.Http2];

    /// <summary>TCP: <c>[istio-peer-exchange, istio]</c> (the peer metadata exchange follows the handshake).</summary>
    public static readonly List<SslApplicationProtocol> Tcp = [PeerExchange, Istio];

    public static List<SslApplicationProtocol> ForHttpVersion(Version version) =>
        version.Major >= 2 ? Http2 : version.Minor == 0 ? Http10 : Http11;

    /// <summary>Whether a negotiated protocol means HTTP/2 on the decrypted stream.</summary>
    public static bool IsHttp2(SslApplicationProtocol negotiated) => negotiated == IstioH2 || negotiated == SslApplicationProtocol.Http2;

    public static List<SslApplicationProtocol> From(Model.EquatableArray<string> values)
    {
        var list = new List<SslApplicationProtocol>(values.Count);
        foreach (var value in values)
        {
            list.Add(new SslApplicationProtocol(value));
        }

        return list;
    }
}
