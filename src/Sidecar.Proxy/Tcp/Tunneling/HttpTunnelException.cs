namespace Sidecar.Proxy.Tcp.Tunneling;

/// <summary>The tunnel's proxy did not open the tunnel: Envoy counts it a failed upstream connection (UF).</summary>
internal sealed class HttpTunnelException(string message) : IOException(message);
