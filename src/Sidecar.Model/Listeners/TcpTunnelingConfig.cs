namespace Sidecar.Model;

/// <summary>
/// Envoy's tcp_proxy <c>tunneling_config</c>, from Istio's DestinationRule <c>trafficPolicy.tunnel</c>: the TCP stream
/// goes to the cluster (an HTTP proxy) inside an HTTP/1.1 CONNECT request for <see cref="Hostname"/>, or a POST one.
/// </summary>
/// <param name="Hostname">The authority the proxy is asked to reach: Istio's <c>targetHost:targetPort</c>.</param>
/// <param name="UsePost">POST (Istio's <c>protocol: POST</c>) instead of CONNECT; the stream is then its chunked body.</param>
/// <param name="PostPath">The POST request's path (Envoy's <c>post_path</c>, <c>/</c> by default).</param>
public sealed record TcpTunnelingConfig(string Hostname, bool UsePost = false, string PostPath = "/");
