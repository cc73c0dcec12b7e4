namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>DestinationRule</c> spec.</summary>
public sealed record DestinationRuleSpec : IstioSpec
{
    public string Host { get; init; } = "";

    public TrafficPolicy? TrafficPolicy { get; init; }

    public IReadOnlyList<Subset> Subsets { get; init; } = [];

    public IReadOnlyList<string> ExportTo { get; init; } = [];

    /// <summary><c>workloadSelector.matchLabels</c>; null when the rule applies to every workload.</summary>
    public IReadOnlyDictionary<string, string>? WorkloadSelector { get; init; }
}

/// <summary>A named subset of a service's endpoints, selected by labels, with its own traffic policy.</summary>
public sealed record Subset
{
    public string Name { get; init; } = "";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = ResourceMetadata.EmptyMap;

    public TrafficPolicy? TrafficPolicy { get; init; }
}
