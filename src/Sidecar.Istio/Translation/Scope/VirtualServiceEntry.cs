using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Translation.Scope;

/// <summary>A VirtualService that applies to this sidecar, with its hosts resolved against its namespace.</summary>
internal sealed class VirtualServiceEntry
{
    public VirtualServiceEntry(IstioResource resource)
    {
        Resource = resource;
        Spec = (VirtualServiceSpec)resource.Spec;
        Hosts = Spec.Hosts.Select(h => HostNames.Resolve(h, resource.Namespace)).ToArray();
    }

    public IstioResource Resource { get; }

    public VirtualServiceSpec Spec { get; }

    /// <summary>Hosts as FQDNs (<c>reviews</c> in <c>default</c> is <c>reviews.default.svc.cluster.local</c>).</summary>
    public IReadOnlyList<string> Hosts { get; }

    public string Namespace => Resource.Namespace;

    /// <summary>How routes name their origin: <c>VirtualService default/reviews</c>.</summary>
    public string Origin => Spec.Origin ?? Resource.Id;

    /// <summary>Resolves a destination host written in this VirtualService.</summary>
    public string ResolveHost(string host) => HostNames.Resolve(host, Resource.Namespace);

    /// <summary>Whether the VirtualService applies to sidecars: no <c>gateways</c>, or <c>mesh</c> among them.</summary>
    public static bool AppliesToMesh(VirtualServiceSpec spec) => spec.Gateways.Count == 0 || spec.Gateways.Contains("mesh");
}
