namespace Sidecar.Model;

/// <summary>Health of an endpoint as the source reports it (EDS <c>health_status</c>).</summary>
public enum EndpointHealth
{
    Healthy,
    Unhealthy,
    Draining,
}

/// <summary>An Envoy <c>LbEndpoint</c>: one address behind a cluster, with the workload labels Istio carries.</summary>
public sealed record EndpointConfig
{
    /// <summary>Well-known label: the endpoint's sidecar accepts Istio mTLS.</summary>
    public const string TlsModeLabel = "security.istio.io/tlsMode";

    /// <summary>Prefix of a unix domain socket endpoint's address (Istio's <c>unix:///path</c>, <c>unix://@abstract</c>).</summary>
    public const string UnixAddressPrefix = "unix://";

    /// <summary>An IP address, a host name for DNS clusters, or <c>unix://</c> and a socket path (Envoy's pipe address).</summary>
    public required string Address { get; init; }

    public required int Port { get; init; }

    /// <summary>Istio's endpoint <c>weight</c>; 1 when unset.</summary>
    public int Weight { get; init; } = 1;

    public Labels Labels { get; init; } = Labels.Empty;

    public EndpointHealth Health { get; init; } = EndpointHealth.Healthy;

    /// <summary><c>region/zone/subzone</c>, or null.</summary>
    public string? Locality { get; init; }

    /// <summary>Envoy's <c>LocalityLbEndpoints.priority</c>: 0 is used first; lower levels take the share of traffic the ones above cannot (locality failover).</summary>
    public int Priority { get; init; }

    /// <summary>Envoy's <c>LocalityLbEndpoints.load_balancing_weight</c> of the endpoint's locality (locality-weighted balancing, Istio's <c>distribute</c>); null when not weighted by locality.</summary>
    public int? LocalityWeight { get; init; }

    /// <summary>The workload's service account, for the SPIFFE SAN expected under mTLS.</summary>
    public string? ServiceAccount { get; init; }

    /// <summary>The workload's name (<c>reviews-v1</c>) and namespace, for metrics and metadata exchange.</summary>
    public string? WorkloadName { get; init; }

    public string? WorkloadNamespace { get; init; }

    /// <summary>
    /// The destination workload's PeerAuthentication sets DISABLE for this port: istiod clears the endpoint's
    /// <c>tlsMode</c> so that auto mTLS sends plaintext, which that workload expects.
    /// </summary>
    public bool PeerAuthenticationDisablesMtls { get; init; }

    /// <summary>Whether auto mTLS applies: the endpoint is labelled <c>security.istio.io/tlsMode: istio</c> and its PeerAuthentication does not disable mTLS.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsIstioMtlsCapable => !PeerAuthenticationDisablesMtls && Labels.TryGetValue(TlsModeLabel, out var mode) && mode == "istio";

    /// <summary>The socket path of a unix domain socket endpoint (<c>@</c> first for Linux's abstract namespace); null for IP and DNS endpoints.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? UnixSocketPath => Address.StartsWith(UnixAddressPrefix, StringComparison.Ordinal) ? Address[UnixAddressPrefix.Length..] : null;

    public override string ToString() => UnixSocketPath ?? $"{Address}:{Port}";
}
