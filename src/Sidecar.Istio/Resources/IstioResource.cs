namespace Sidecar.Istio.Resources;

/// <summary>The Istio kinds the standalone source reads, and the Kubernetes kinds istiod's service registry watches.</summary>
public enum ResourceKind
{
    ServiceEntry,
    WorkloadEntry,
    DestinationRule,
    VirtualService,
    Sidecar,
    PeerAuthentication,

    /// <summary>security.istio.io <c>RequestAuthentication</c>: the JWT issuers a workload accepts.</summary>
    RequestAuthentication,
    AuthorizationPolicy,

    /// <summary>telemetry.istio.io <c>Telemetry</c>: access logging and tracing per mesh, namespace or workload.</summary>
    Telemetry,

    /// <summary>The <c>istio</c> ConfigMap whose <c>data.mesh</c> holds Istio's MeshConfig.</summary>
    MeshConfig,

    /// <summary>gateway.networking.k8s.io <c>HTTPRoute</c>: Gateway API routes; those attached to a Service route it in the mesh.</summary>
    HTTPRoute,

    /// <summary>gateway.networking.k8s.io <c>GRPCRoute</c>: converted as an HTTPRoute on <c>/service/method</c> paths.</summary>
    GRPCRoute,

    /// <summary>core/v1 <c>Service</c>: a mesh service <c>name.namespace.svc.cluster.local</c>, as istiod's Kubernetes registry.</summary>
    Service,

    /// <summary>discovery.k8s.io <c>EndpointSlice</c>: a Service's endpoints.</summary>
    EndpointSlice,

    /// <summary>core/v1 <c>Endpoints</c>: a Service's endpoints, the older form.</summary>
    Endpoints,

    /// <summary>core/v1 <c>Pod</c>: an endpoint's labels and service account; a selector's endpoints when no slice lists them.</summary>
    Pod,
}

/// <summary>Where a resource was read from: the file and the line its document starts on.</summary>
public sealed record SourceLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>The Kubernetes object metadata Istio uses: name, namespace (<c>default</c> when absent), labels, annotations.</summary>
public sealed record ResourceMetadata
{
    public const string DefaultNamespace = "default";

    public required string Name { get; init; }

    public string Namespace { get; init; } = DefaultNamespace;

    public IReadOnlyDictionary<string, string> Labels { get; init; } = EmptyMap;

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = EmptyMap;

    /// <summary><c>metadata.creationTimestamp</c>: where Istio lets the oldest of competing resources win; null when absent.</summary>
    public DateTimeOffset? CreationTimestamp { get; init; }

    internal static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>();
}

/// <summary>The typed <c>spec</c> of an Istio resource (one subclass per kind).</summary>
public abstract record IstioSpec;

/// <summary>
/// One parsed Istio resource: its kind, metadata, the file it came from and its typed spec. The parser produces
/// these; the validator and the translator consume them.
/// </summary>
public sealed record IstioResource
{
    public required ResourceKind Kind { get; init; }

    public required ResourceMetadata Metadata { get; init; }

    public required SourceLocation Source { get; init; }

    public required IstioSpec Spec { get; init; }

    public string Name => Metadata.Name;

    public string Namespace => Metadata.Namespace;

    /// <summary>How errors and origins name the resource: <c>VirtualService default/reviews</c>.</summary>
    public string Id => $"{Kind} {Namespace}/{Name}";

    public override string ToString() => Id;
}
