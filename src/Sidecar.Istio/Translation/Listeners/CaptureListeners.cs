using Sidecar.Model;

namespace Sidecar.Istio.Translation.Listeners;

/// <summary>The capture listeners every sidecar has: <c>virtualOutbound</c> (15001) and <c>virtualInbound</c> (15006).</summary>
internal static class CaptureListeners
{
    public const int OutboundPort = 15001;
    public const int InboundPort = 15006;

    /// <summary><c>virtualOutbound</c>: connections no per-port listener takes go to PassthroughCluster (ALLOW_ANY) or
    /// BlackHoleCluster (REGISTRY_ONLY); connections to 15001 itself are dropped to avoid loops.</summary>
    public static ListenerConfig Outbound(string catchAllCluster) => new()
    {
        Name = ListenerNames.VirtualOutbound,
        Direction = TrafficDirection.Outbound,
        Port = OutboundPort,
        BindToPort = false,
        FilterChains = [FilterChains.Tcp("virtualOutbound-blackhole", ClusterName.BlackHole, new FilterChainMatchConfig { DestinationPort = OutboundPort })],
        DefaultFilterChain = FilterChains.Tcp("virtualOutbound-catchall-tcp", catchAllCluster, FilterChainMatchConfig.Any),
    };

    /// <summary><c>virtualInbound</c>: one chain (or an HTTP/TCP pair) per workload port, matched by destination port;
    /// anything else passes through to the original destination from 127.0.0.6.</summary>
    public static ListenerConfig Inbound(IEnumerable<FilterChainConfig> portChains) => new()
    {
        Name = ListenerNames.VirtualInbound,
        Direction = TrafficDirection.Inbound,
        Port = InboundPort,
        BindToPort = false,
        FilterChains = FilterChains.WithUniqueNames(
            [FilterChains.Tcp("virtualInbound-blackhole", ClusterName.BlackHole, new FilterChainMatchConfig { DestinationPort = InboundPort }), .. portChains])
            .ToEquatableArray(),
        DefaultFilterChain = FilterChains.Tcp("InboundPassthroughFilterChain", ClusterName.InboundPassthrough, FilterChainMatchConfig.Any),
    };
}
