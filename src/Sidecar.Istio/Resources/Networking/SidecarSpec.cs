namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>Sidecar</c> spec: what one workload's proxy listens on and which services it sees.</summary>
public sealed record SidecarSpec : IstioSpec
{
    /// <summary><c>workloadSelector.labels</c>; null for the namespace-wide Sidecar.</summary>
    public IReadOnlyDictionary<string, string>? WorkloadSelector { get; init; }

    public IReadOnlyList<IstioIngressListener> Ingress { get; init; } = [];

    public IReadOnlyList<IstioEgressListener> Egress { get; init; } = [];

    /// <summary><c>outboundTrafficPolicy.mode</c>: ALLOW_ANY or REGISTRY_ONLY.</summary>
    public string? OutboundTrafficPolicyMode { get; init; }

    public bool HasOutboundTrafficPolicy { get; init; }

    /// <summary><c>outboundTrafficPolicy.egressProxy</c>: where ALLOW_ANY sends unknown traffic instead of its original destination.</summary>
    public EgressProxy? EgressProxy { get; init; }

    public ConnectionPoolSettings? InboundConnectionPool { get; init; }
}

/// <summary>A Sidecar's <c>egressProxy</c> destination: <c>host</c>, <c>subset</c>, <c>port.number</c>.</summary>
public sealed record EgressProxy(string Host, string? Subset, int? Port);

/// <summary>A Sidecar port: number, protocol and name.</summary>
public sealed record SidecarPort
{
    public int Number { get; init; }

    public string? Protocol { get; init; }

    public string? Name { get; init; }

    public int? TargetPort { get; init; }
}

/// <summary>A Sidecar <c>ingress[]</c> listener: a port the proxy accepts and where it forwards.</summary>
public sealed record IstioIngressListener
{
    public SidecarPort? Port { get; init; }

    public string? Bind { get; init; }

    public string? CaptureMode { get; init; }

    public string? DefaultEndpoint { get; init; }

    /// <summary>True when <c>tls</c> was given.</summary>
    public bool HasTls { get; init; }

    public ConnectionPoolSettings? ConnectionPool { get; init; }
}

/// <summary>A Sidecar <c>egress[]</c> listener: the hosts visible through it, optionally on its own port/bind.</summary>
public sealed record IstioEgressListener
{
    public SidecarPort? Port { get; init; }

    public string? Bind { get; init; }

    public string? CaptureMode { get; init; }

    public IReadOnlyList<string> Hosts { get; init; } = [];
}
