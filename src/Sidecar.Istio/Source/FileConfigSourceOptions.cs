using Sidecar.Model;

namespace Sidecar.Istio;

/// <summary>Options of the standalone config source.</summary>
public sealed record FileConfigSourceOptions
{
    /// <summary>The directory of Istio YAML (read recursively; hidden entries skipped).</summary>
    public required string Directory { get; init; }

    /// <summary>This proxy's identity and labels.</summary>
    public required WorkloadInfo Workload { get; init; }

    /// <summary>A command-line override; else the Sidecar resource's, the mesh config's, or ALLOW_ANY.</summary>
    public OutboundTrafficPolicy? OutboundTrafficPolicy { get; init; }

    /// <summary>Give ServiceEntries without addresses one, as istiod does for a proxy with DNS capture and
    /// <c>ISTIO_META_DNS_AUTO_ALLOCATE</c>.</summary>
    public bool AutoAllocateAddresses { get; init; }

    /// <summary>The first read, already under way (<see cref="FileConfigSource.WithEarlyRead"/>).</summary>
    internal Task<DirectoryRead>? EarlyRead { get; init; }
}
