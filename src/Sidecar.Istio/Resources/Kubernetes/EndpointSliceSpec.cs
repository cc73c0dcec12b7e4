namespace Sidecar.Istio.Resources.Kubernetes;

/// <summary>
/// A discovery.k8s.io <c>EndpointSlice</c>: the addresses behind one Service (its
/// <c>kubernetes.io/service-name</c> label), which istiod turns into the service's endpoints.
/// </summary>
public sealed record EndpointSliceSpec : IstioSpec
{
    /// <summary>The label that names the slice's Service.</summary>
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary><c>addressType</c>: IPv4, IPv6 or FQDN (istiod skips FQDN slices).</summary>
    public string AddressType { get; init; } = "IPv4";

    public IReadOnlyList<SliceEndpoint> Endpoints { get; init; } = [];

    public IReadOnlyList<EndpointPort> Ports { get; init; } = [];
}

/// <summary>One entry of <c>endpoints</c>: its addresses, readiness and the pod it belongs to.</summary>
/// <param name="Ready"><c>conditions.ready</c>; null means ready, as Kubernetes defines it.</param>
/// <param name="PodName"><c>targetRef.name</c> when the target is a Pod.</param>
public sealed record SliceEndpoint(IReadOnlyList<string> Addresses, bool? Ready, string? PodName, string? PodNamespace, string? Hostname = null);

/// <summary>A port of an EndpointSlice or of an Endpoints subset: named as the Service port it serves.</summary>
public sealed record EndpointPort(string Name, int Port, string Protocol);
