using Sidecar.Identity;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin;

/// <summary>What a <c>/config_dump</c> answer is made of: the snapshot, the workload and its certificate, and the query.</summary>
internal sealed record ConfigDumpRequest(
    ProxyConfig? Config,
    ProxyConfigStore Store,
    WorkloadInfo Workload,
    WorkloadCertificate? Certificate,
    int CertificateGeneration,
    EnvoyDump.StaticPorts Ports,
    string ProxyVersion)
{
    /// <summary>Envoy's <c>include_eds</c>: add the endpoints of every cluster.</summary>
    public bool IncludeEndpoints { get; init; }

    /// <summary>Envoy's <c>resource</c>: print only the entries of this list (<c>dynamic_active_clusters</c>).</summary>
    public string? Resource { get; init; }

    /// <summary>Envoy's <c>name_regex</c>: print only the resources whose name it matches.</summary>
    public string? NameRegex { get; init; }

    /// <summary>Add the snapshot in this sidecar's own model (<c>config</c>).</summary>
    public bool IncludeModel { get; init; }
}
