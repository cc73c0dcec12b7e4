using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Scope;

/// <summary>One <c>namespace/host</c> entry of a Sidecar egress listener.</summary>
internal sealed record EgressHost(string Namespace, string Host)
{
    public static EgressHost Parse(string value, string proxyNamespace)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var ns = value[..slash];
        return new EgressHost(ns == "." ? proxyNamespace : ns, value[(slash + 1)..].ToLowerInvariant());
    }

    public bool MatchesNamespace(string ns) => Namespace != "~" && (Namespace == "*" || Namespace == ns);

    public bool MatchesHost(string host) => Host == "*" || HostNames.Matches(host, Host);

    /// <summary>Whether a VirtualService host is imported: a converted Gateway API route's host must lie within this
    /// entry (istiod's <c>VSMatches</c> uses <c>SubsetOf</c> for gateway semantics), any other overlap it.</summary>
    public bool ImportsVirtualServiceHost(string host, bool gatewaySemantics) =>
        gatewaySemantics ? Host == "*" || HostNames.SubsetOf(host, Host) : MatchesHost(host);
}

/// <summary>An egress listener of the Sidecar scope: the services and VirtualServices visible through it.</summary>
internal sealed class EgressScope
{
    public required IstioEgressListener? Listener { get; init; }

    public required IReadOnlyList<MeshService> Services { get; init; }

    public required IReadOnlyList<VirtualServiceEntry> VirtualServices { get; init; }

    /// <summary>The listener's own port, or null for the catch-all listener.</summary>
    public SidecarPort? Port => Listener?.Port;
}

/// <summary>
/// What this proxy sees, as Istio's <c>SidecarScope</c>: the Sidecar resource that selects the workload (by
/// <c>workloadSelector</c>, else the namespace's default, else the root namespace's), its egress listeners with the
/// visible services and VirtualServices (exportTo, <c>mesh</c> gateway), and its ingress listeners.
/// </summary>
internal sealed class SidecarScope
{
    private SidecarScope(IstioResource? sidecar, IReadOnlyList<EgressScope> egress)
    {
        Sidecar = sidecar;
        Egress = egress;
        var all = new List<MeshService>();
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scope in egress)
        {
            foreach (var service in scope.Services)
            {
                if (hosts.Add(service.Host))
                {
                    all.Add(service);
                }
            }
        }

        Services = all;
    }

    /// <summary>The Sidecar resource in effect, or null (Istio's default scope: every visible service).</summary>
    public IstioResource? Sidecar { get; }

    public SidecarSpec? Spec => Sidecar?.Spec as SidecarSpec;

    /// <summary>Egress listeners; listeners with a port first, the catch-all (if any) last.</summary>
    public IReadOnlyList<EgressScope> Egress { get; }

    /// <summary>Every service visible through any egress listener, one per host (the first wins).</summary>
    public IReadOnlyList<MeshService> Services { get; }

    public IReadOnlyList<IstioIngressListener> Ingress => Spec?.Ingress ?? [];

    public static SidecarScope Build(IReadOnlyList<IstioResource> resources, IReadOnlyList<MeshService> services, WorkloadInfo workload, MeshConfigSpec mesh)
    {
        var sidecar = Select(resources, workload, mesh.RootNamespace);
        var spec = sidecar?.Spec as SidecarSpec;
        var visibleServices = new List<MeshService>();
        var visibleHosts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (!Visibility.IsVisible(service.ExportTo, service.Namespace, workload.Namespace))
            {
                continue;
            }

            // One service per host: the first visible definition wins, as Istio keeps the oldest, unless a later one
            // from the same namespace can be merged into it (its extra ports are added).
            if (!visibleHosts.TryGetValue(service.Host, out var index))
            {
                visibleHosts[service.Host] = visibleServices.Count;
                visibleServices.Add(service);
            }
            else if (visibleServices[index].CanMergeWith(service))
            {
                visibleServices[index] = visibleServices[index].WithPortsOf(service);
            }
        }

        var virtualServices = resources
            .Where(r => r.Spec is VirtualServiceSpec { Hosts.Count: > 0 } vs && VirtualServiceEntry.AppliesToMesh(vs) &&
                Visibility.IsVisible(vs.ExportTo.Count > 0 ? vs.ExportTo : mesh.DefaultVirtualServiceExportTo, r.Namespace, workload.Namespace))
            // istiod's "consumer override": a Gateway API route in the proxy's own namespace comes before the others.
            .OrderBy(r => ((VirtualServiceSpec)r.Spec).GatewaySemantics && r.Namespace == workload.Namespace ? 0 : 1)
            .Select(r => new VirtualServiceEntry(r))
            .ToArray();

        var listeners = spec?.Egress is { Count: > 0 } egress ? egress : [new IstioEgressListener { Hosts = ["*/*"] }];
        var scopes = listeners
            .OrderBy(l => l.Port is null ? 1 : 0)
            .Select(listener =>
            {
                var hosts = listener.Hosts.Select(h => EgressHost.Parse(h, workload.Namespace)).ToArray();
                var listenerVirtualServices = virtualServices
                    .Where(vs => hosts.Any(h => h.MatchesNamespace(vs.Namespace) && vs.Hosts.Any(host => h.ImportsVirtualServiceHost(host, vs.Spec.GatewaySemantics))))
                    .ToArray();
                var listenerServices = visibleServices.Where(s => hosts.Any(h => h.MatchesNamespace(s.Namespace) && h.MatchesHost(s.Host))).ToList();
                ImportDestinations(listenerServices, listenerVirtualServices, visibleServices);
                return new EgressScope
                {
                    Listener = spec is null ? null : listener,
                    Services = listenerServices,
                    VirtualServices = listenerVirtualServices,
                };
            })
            .ToArray();
        return new SidecarScope(sidecar, scopes);
    }

    /// <summary>
    /// Istio's <c>collectImportedServices</c>: the services a listener's VirtualServices route or mirror to are in
    /// its scope even when its <c>hosts</c> do not name them, so those routes have their clusters.
    /// </summary>
    private static void ImportDestinations(List<MeshService> services, IReadOnlyList<VirtualServiceEntry> virtualServices, IReadOnlyList<MeshService> visible)
    {
        foreach (var virtualService in virtualServices)
        {
            foreach (var destination in Destinations(virtualService.Spec))
            {
                var host = virtualService.ResolveHost(destination);
                if (!services.Exists(s => s.Host == host) && visible.FirstOrDefault(s => s.Host == host) is { } service)
                {
                    services.Add(service);
                }
            }
        }
    }

    private static IEnumerable<string> Destinations(VirtualServiceSpec spec)
    {
        foreach (var http in spec.Http)
        {
            foreach (var route in http.Route)
            {
                if (route.Destination is { } destination)
                {
                    yield return destination.Host;
                }
            }

            if (http.Mirror is { } mirror)
            {
                yield return mirror.Host;
            }

            foreach (var mirrorPolicy in http.Mirrors)
            {
                if (mirrorPolicy.Destination is { } destination)
                {
                    yield return destination.Host;
                }
            }
        }

        foreach (var route in spec.Tcp.SelectMany(t => t.Route).Concat(spec.Tls.SelectMany(t => t.Route)))
        {
            if (route.Destination is { } destination)
            {
                yield return destination.Host;
            }
        }
    }

    private static IstioResource? Select(IReadOnlyList<IstioResource> resources, WorkloadInfo workload, string rootNamespace)
    {
        IstioResource? namespaceDefault = null;
        IstioResource? rootDefault = null;
        foreach (var resource in resources)
        {
            if (resource.Spec is not SidecarSpec spec)
            {
                continue;
            }

            if (resource.Namespace == workload.Namespace)
            {
                if (spec.WorkloadSelector is { } selector)
                {
                    if (workload.Labels.IsSupersetOf(Labels.From(selector)))
                    {
                        return resource;
                    }
                }
                else
                {
                    namespaceDefault ??= resource;
                }
            }
            else if (resource.Namespace == rootNamespace && spec.WorkloadSelector is null)
            {
                rootDefault ??= resource;
            }
        }

        return namespaceDefault ?? rootDefault;
    }
}
