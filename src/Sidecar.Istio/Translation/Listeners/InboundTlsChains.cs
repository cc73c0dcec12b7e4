using Sidecar.Model;

namespace Sidecar.Istio.Translation.Listeners;

/// <summary>The matches and ALPN of Istio's inbound mTLS chains (istiod's <c>inboundChainConfig</c> for PERMISSIVE/STRICT).</summary>
internal static class InboundTlsChains
{
    /// <summary>TLS offering Istio's HTTP ALPNs: mTLS terminated, then HTTP.</summary>
    public static readonly FilterChainMatchConfig HttpMatch = new()
    {
        TransportProtocol = "tls",
        ApplicationProtocols = ["istio-http/1.0", "istio-http/1.1", "istio-h2"],
    };

    /// <summary>TLS offering Istio's TCP ALPNs: mTLS terminated, then TCP proxy (with the TCP metadata exchange).</summary>
    public static readonly FilterChainMatchConfig TcpMatch = new()
    {
        TransportProtocol = "tls",
        ApplicationProtocols = ["istio-peer-exchange", "istio"],
    };

    /// <summary>What the server picks from the client's offer, most specific first.</summary>
    public static readonly EquatableArray<string> HttpAlpn = ["istio-h2", "istio-http/1.1", "istio-http/1.0", "h2", "http/1.1"];

    public static readonly EquatableArray<string> TcpAlpn = ["istio-peer-exchange", "istio"];

    /// <summary>TLS to a port no service declares, with any of Istio's ALPNs (STRICT passthrough).</summary>
    public static readonly FilterChainMatchConfig PassthroughMatch = new()
    {
        TransportProtocol = "tls",
        ApplicationProtocols = ["istio-peer-exchange", "istio", "istio-http/1.0", "istio-http/1.1", "istio-h2"],
    };

    public static readonly EquatableArray<string> PassthroughAlpn = ["istio-peer-exchange", "istio-http/1.1", "istio-http/1.0", "istio-h2", "istio"];
}
