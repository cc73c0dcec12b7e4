namespace Sidecar.Model;

/// <summary>
/// Who this sidecar serves: the pod's identity and labels, from the command line or Istio's env vars
/// (POD_NAME, POD_NAMESPACE, SERVICE_ACCOUNT, INSTANCE_IP, ISTIO_META_*). Sources use it to pick the resources that
/// apply to this workload (Sidecar, PeerAuthentication and AuthorizationPolicy selectors, <c>sourceLabels</c>
/// matches); telemetry uses it for the source_/destination_ labels.
/// </summary>
public sealed record WorkloadInfo
{
    public static readonly WorkloadInfo Default = new();

    /// <summary>The pod name (POD_NAME).</summary>
    public string PodName { get; init; } = "sidecar";

    /// <summary>POD_NAMESPACE; <c>default</c> when unset.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>The owning workload (Deployment) name (ISTIO_META_WORKLOAD_NAME), e.g. <c>reviews-v1</c>.</summary>
    public string WorkloadName { get; init; } = "sidecar";

    public Labels Labels { get; init; } = Labels.Empty;

    public string ServiceAccount { get; init; } = "default";

    /// <summary>ISTIO_META_CLUSTER_ID; Istio's default is <c>Kubernetes</c>.</summary>
    public string ClusterId { get; init; } = "Kubernetes";

    /// <summary>INSTANCE_IP(s).</summary>
    public EquatableArray<string> InstanceIps { get; init; }

    /// <summary>Where the workload runs, <c>region/zone/subzone</c> (Envoy's node locality); empty when unknown.</summary>
    public string Locality { get; init; } = "";

    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>Istio's canonical service: label <c>service.istio.io/canonical-name</c>, else <c>app</c>, else the workload name.</summary>
    public string CanonicalService =>
        Labels["service.istio.io/canonical-name"] ?? Labels["app.kubernetes.io/name"] ?? Labels["app"] ?? WorkloadName;

    /// <summary>Istio's canonical revision: label <c>service.istio.io/canonical-revision</c>, else <c>version</c>, else <c>latest</c>.</summary>
    public string CanonicalRevision =>
        Labels["service.istio.io/canonical-revision"] ?? Labels["app.kubernetes.io/version"] ?? Labels["version"] ?? "latest";

    /// <summary>The workload's SPIFFE id: <c>spiffe://&lt;trust-domain&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;</c>.</summary>
    public string SpiffeId => $"spiffe://{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    /// <summary>Istio's node id: <c>sidecar~IP~POD.NS~NS.svc.cluster.local</c>.</summary>
    public string NodeId => $"sidecar~{(InstanceIps.IsEmpty ? "127.0.0.1" : InstanceIps[0])}~{PodName}.{Namespace}~{Namespace}.svc.cluster.local";

    /// <summary>The node's cluster as pilot-agent names it by default: the <c>app</c> label, else the workload, then <c>.NS</c>.</summary>
    public string NodeCluster => $"{Labels["app"] ?? WorkloadName}.{Namespace}";
}
