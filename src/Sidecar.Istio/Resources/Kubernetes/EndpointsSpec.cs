namespace Sidecar.Istio.Resources.Kubernetes;

/// <summary>A core/v1 <c>Endpoints</c> object (named as its Service): the older form of a service's addresses.</summary>
public sealed record EndpointsSpec : IstioSpec
{
    public IReadOnlyList<EndpointSubset> Subsets { get; init; } = [];
}

/// <summary>One of <c>subsets</c>: ready and not-ready addresses sharing a list of ports.</summary>
public sealed record EndpointSubset(IReadOnlyList<SliceEndpoint> Addresses, IReadOnlyList<EndpointPort> Ports);
