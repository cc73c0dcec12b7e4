namespace Sidecar.Model;

/// <summary>
/// The PROXY protocol header a cluster's upstream connections begin with (Istio's DestinationRule
/// <c>trafficPolicy.proxyProtocol.version</c>, Envoy's <c>envoy.transport_sockets.upstream_proxy_protocol</c>): it
/// tells the upstream which client the connection is for, ahead of any TLS.
/// </summary>
public enum ProxyProtocolVersion
{
    /// <summary>The text header, <c>PROXY TCP4 src dst sport dport\r\n</c> (Istio's default).</summary>
    V1,

    /// <summary>The binary header.</summary>
    V2,
}
