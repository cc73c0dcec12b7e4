namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>WorkloadEntry</c> spec; also the shape of a ServiceEntry's inline endpoints.</summary>
public sealed record WorkloadEntrySpec : IstioSpec
{
    public string Address { get; init; } = "";

    /// <summary>Per service-port-name endpoint ports.</summary>
    public IReadOnlyDictionary<string, int> Ports { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = ResourceMetadata.EmptyMap;

    public string? Network { get; init; }

    public string? Locality { get; init; }

    public int? Weight { get; init; }

    public string? ServiceAccount { get; init; }
}
