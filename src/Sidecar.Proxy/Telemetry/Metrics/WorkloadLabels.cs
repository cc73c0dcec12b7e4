using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// One side's workload labels (source_* or destination_*), computed once per peer metadata value or for this
/// sidecar's own workload. A class compared by reference: series caches key on the instance.
/// </summary>
internal sealed class WorkloadLabels
{
    /// <summary>A peer without metadata: every label unknown but the canonical revision, which Istio's stats filter reports as <c>latest</c>.</summary>
    public static readonly WorkloadLabels Unknown = new(
        IstioLabelNames.Unknown, IstioLabelNames.Unknown, Latest, IstioLabelNames.Unknown,
        IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown, IstioLabelNames.Unknown, null);

    private WorkloadLabels(string workload, string canonicalService, string canonicalRevision, string @namespace, string app, string version, string cluster, string principal, PeerMetadata? metadata)
    {
        Workload = workload;
        CanonicalService = canonicalService;
        CanonicalRevision = canonicalRevision;
        Namespace = @namespace;
        App = app;
        Version = version;
        Cluster = cluster;
        Principal = principal;
        Metadata = metadata;
    }

    public string Workload { get; }

    public string CanonicalService { get; }

    public string CanonicalRevision { get; }

    public string Namespace { get; }

    public string App { get; }

    public string Version { get; }

    public string Cluster { get; }

    /// <summary>The peer's SPIFFE id when its metadata named one (IDENTITY), else unknown.</summary>
    public string Principal { get; }

    /// <summary>The metadata these labels came from (for span tags and <see cref="Listeners.ProxyConnection.PeerMetadata"/>).</summary>
    public PeerMetadata? Metadata { get; }

    public static WorkloadLabels From(PeerMetadata peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return new WorkloadLabels(
            OrUnknown(peer.WorkloadName), OrUnknown(peer.CanonicalService), OrLatest(peer.CanonicalRevision), OrUnknown(peer.Namespace),
            OrUnknown(peer.App), OrUnknown(peer.Version), OrUnknown(peer.ClusterId), OrUnknown(peer.Identity), peer);
    }

    public static WorkloadLabels From(WorkloadInfo workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return new WorkloadLabels(
            OrUnknown(workload.WorkloadName), OrUnknown(workload.CanonicalService), OrLatest(workload.CanonicalRevision), OrUnknown(workload.Namespace),
            OrUnknown(workload.Labels["app"]), OrUnknown(workload.Labels["version"]), OrUnknown(workload.ClusterId), workload.SpiffeId, PeerMetadata.From(workload));
    }

    private const string Latest = "latest";

    private static string OrUnknown(string? value) => string.IsNullOrEmpty(value) ? IstioLabelNames.Unknown : value;

    private static string OrLatest(string? value) => string.IsNullOrEmpty(value) ? Latest : value;
}
