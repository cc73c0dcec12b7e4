namespace Sidecar.Proxy.Listeners;

/// <summary>The role of a socket the sidecar listens on.</summary>
internal enum ListenerKind
{
    /// <summary>15001: outbound traffic, captured by iptables or sent explicitly (Host routing, HTTP proxy).</summary>
    OutboundCapture,

    /// <summary>15006: inbound traffic captured by iptables.</summary>
    InboundCapture,

    /// <summary>A listener from the config that binds its own port (Sidecar ingress/egress).</summary>
    Configured,
}
