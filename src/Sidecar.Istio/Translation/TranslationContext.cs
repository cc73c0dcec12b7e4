using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>The proxy a translation is for, and the facts that are not in the resources.</summary>
public sealed record TranslationContext
{
    /// <summary>This proxy's identity and labels (selects Sidecars, DestinationRules, <c>sourceLabels</c> matches).</summary>
    public required WorkloadInfo Workload { get; init; }

    /// <summary>A command-line override of the outbound traffic policy; else the Sidecar's, the mesh's, or ALLOW_ANY.</summary>
    public OutboundTrafficPolicy? OutboundTrafficPolicy { get; init; }

    /// <summary>The proxy captures DNS and asks for auto-allocated addresses (<c>ISTIO_META_DNS_CAPTURE</c> and
    /// <c>ISTIO_META_DNS_AUTO_ALLOCATE</c>): ServiceEntries without addresses get one (<see cref="Registry.AddressAllocator"/>).</summary>
    public bool AutoAllocateAddresses { get; init; }

    /// <summary>Where the resources came from (the config directory), recorded in the snapshot's origin.</summary>
    public string Location { get; init; } = "";

    /// <summary>When the resources were loaded, recorded in the snapshot's origin.</summary>
    public DateTimeOffset LoadedAt { get; init; }
}
