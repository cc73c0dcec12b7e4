namespace Sidecar.Model;

/// <summary>
/// What one sidecar tells the other about its workload in Istio's peer metadata exchange (the <c>x-envoy-peer-metadata</c>
/// Struct: NAME, NAMESPACE, CLUSTER_ID, IDENTITY, OWNER, WORKLOAD_NAME, LABELS). Telemetry reads it for the
/// source_* labels on inbound and the destination_* labels on outbound.
/// </summary>
public sealed record PeerMetadata
{
    /// <summary>The pod name (NAME).</summary>
    public string Name { get; init; } = "";

    public string Namespace { get; init; } = "";

    public string ClusterId { get; init; } = "";

    /// <summary>The workload's SPIFFE id (IDENTITY), when the peer sent one.</summary>
    public string? Identity { get; init; }

    /// <summary>The owning controller (OWNER), e.g. <c>kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1</c>.</summary>
    public string? Owner { get; init; }

    public string WorkloadName { get; init; } = "";

    public Labels Labels { get; init; } = Labels.Empty;

    public string? App => Labels["app"] ?? Labels["app.kubernetes.io/name"];

    public string? Version => Labels["version"] ?? Labels["app.kubernetes.io/version"];

    /// <summary>Istio's canonical service: label <c>service.istio.io/canonical-name</c>, else app, else the workload name.</summary>
    public string CanonicalService => Labels["service.istio.io/canonical-name"] ?? App ?? WorkloadName;

    /// <summary>Istio's canonical revision: label <c>service.istio.io/canonical-revision</c>, else version, else <c>latest</c>.</summary>
    public string CanonicalRevision => Labels["service.istio.io/canonical-revision"] ?? Version ?? "latest";

    /// <summary>This sidecar's own metadata, as it sends it to peers.</summary>
    public static PeerMetadata From(WorkloadInfo workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return new PeerMetadata
        {
            Name = workload.PodName,
            Namespace = workload.Namespace,
            ClusterId = workload.ClusterId,
            Identity = workload.SpiffeId,
            Owner = $"kubernetes://apis/apps/v1/namespaces/{workload.Namespace}/deployments/{workload.WorkloadName}",
            WorkloadName = workload.WorkloadName,
            Labels = workload.Labels,
        };
    }
}
