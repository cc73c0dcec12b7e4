namespace Sidecar.Model;

/// <summary>Which side of the workload a listener serves.</summary>
public enum TrafficDirection
{
    /// <summary>From the local application to the mesh.</summary>
    Outbound,

    /// <summary>From the mesh to the local application.</summary>
    Inbound,
}

/// <summary>
/// An Envoy <c>Listener</c>. Istio's per-port outbound listeners (<c>0.0.0.0_9080</c>) do not bind: the capture
/// listener on 15001 hands each connection to the one for its original destination. Listeners from a Sidecar
/// resource's <c>ingress</c>/<c>egress</c> with a port do bind (<see cref="BindToPort"/>).
/// </summary>
public sealed record ListenerConfig
{
    public required string Name { get; init; }

    public TrafficDirection Direction { get; init; } = TrafficDirection.Outbound;

    /// <summary>An IP address; <c>0.0.0.0</c> matches any destination address.</summary>
    public string Address { get; init; } = "0.0.0.0";

    public required int Port { get; init; }

    /// <summary>True when the sidecar opens this socket itself; false when it is reached through original-destination capture.</summary>
    public bool BindToPort { get; init; }

    /// <summary>Filter chains in match order: the first whose match accepts the connection handles it.</summary>
    public EquatableArray<FilterChainConfig> FilterChains { get; init; }

    /// <summary>Handles connections no chain matches (Istio's <c>PassthroughFilterChain</c>); null closes them.</summary>
    public FilterChainConfig? DefaultFilterChain { get; init; }
}
