namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>ServiceEntry</c> spec: a service added to the mesh's registry.</summary>
public sealed record ServiceEntrySpec : IstioSpec
{
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>VIPs or CIDRs.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    public IReadOnlyList<ServicePort> Ports { get; init; } = [];

    /// <summary>MESH_EXTERNAL (the default) or MESH_INTERNAL.</summary>
    public string Location { get; init; } = "MESH_EXTERNAL";

    /// <summary>NONE (the default), STATIC, DNS or DNS_ROUND_ROBIN.</summary>
    public string Resolution { get; init; } = "NONE";

    /// <summary>Inline endpoints; null when the field is absent (distinct from an empty list).</summary>
    public IReadOnlyList<WorkloadEntrySpec>? Endpoints { get; init; }

    /// <summary><c>workloadSelector.labels</c>; null when absent.</summary>
    public IReadOnlyDictionary<string, string>? WorkloadSelector { get; init; }

    public IReadOnlyList<string> ExportTo { get; init; } = [];

    public IReadOnlyList<string> SubjectAltNames { get; init; } = [];

    /// <summary>The addresses istiod's allocator wrote into <c>status.addresses</c>, by host (kept when
    /// <c>kubectl get -o yaml</c> printed them), used for auto-allocation before any of this sidecar's own.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> AllocatedAddresses { get; init; } = [];

    public bool IsMeshInternal => Location == "MESH_INTERNAL";
}

/// <summary>A <c>ServiceEntry</c> port.</summary>
public sealed record ServicePort
{
    public int Number { get; init; }

    public string? Protocol { get; init; }

    public string Name { get; init; } = "";

    public int? TargetPort { get; init; }
}
