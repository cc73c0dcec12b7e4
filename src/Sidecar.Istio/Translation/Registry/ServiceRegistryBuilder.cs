using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Registry;

/// <summary>
/// Turns ServiceEntries into services, one per host, as Istio's ServiceEntry controller does: inline endpoints, or
/// the WorkloadEntries and ready pods of the entry's namespace its <c>workloadSelector</c> selects; SANs from <c>subjectAltNames</c>
/// and the endpoints' service accounts. Kubernetes Services come first (<see cref="KubernetesServiceRegistry"/>).
/// </summary>
internal static class ServiceRegistryBuilder
{
    public static IReadOnlyList<MeshService> Build(IReadOnlyList<IstioResource> resources, MeshConfigSpec mesh, List<ConfigError> errors)
    {
        var workloadEntries = resources.Where(r => r.Spec is WorkloadEntrySpec).ToArray();
        var services = new List<MeshService>();
        foreach (var resource in resources)
        {
            if (resource.Spec is not ServiceEntrySpec se)
            {
                continue;
            }

            var endpoints = new List<ServiceEndpoint>();
            if (se.Endpoints is { } inline)
            {
                for (var i = 0; i < inline.Count; i++)
                {
                    // An endpoint known only by its network (reached through that network's gateway) has no
                    // address this sidecar could connect to. A `unix://` address is kept as it is: Envoy's pipe.
                    if (inline[i].Address.Length > 0)
                    {
                        endpoints.Add(ToEndpoint(inline[i], resource.Namespace, workloadName: null));
                    }
                }
            }
            else if (se.WorkloadSelector is { } selector)
            {
                var selectorLabels = Labels.From(selector);
                endpoints.AddRange(SelectedWorkloadEntries(workloadEntries, resource.Namespace, selectorLabels));

                // A ServiceEntry's workloadSelector selects pods too, each serving the entry's ports on their target ports.
                var podPorts = se.Ports.ToDictionary(p => p.Name, p => p.TargetPort ?? p.Number, StringComparer.Ordinal);
                foreach (var pod in KubernetesServiceRegistry.SelectedPods(resources.Where(r => r.Namespace == resource.Namespace), selectorLabels))
                {
                    foreach (var ip in ((Resources.Kubernetes.PodSpec)pod.Spec).Ips)
                    {
                        endpoints.Add(KubernetesServiceRegistry.PodEndpoint(ip, pod, podPorts, resource.Namespace));
                    }
                }
            }

            var ports = se.Ports.Select(p => new MeshServicePort(p.Number, p.Name, PortProtocols.FromPort(p.Protocol, p.Name), p.TargetPort)).ToArray();
            var sans = se.SubjectAltNames
                .Concat(endpoints.Where(e => !string.IsNullOrEmpty(e.ServiceAccount))
                    .SelectMany(e => mesh.TrustDomains.Select(td => $"spiffe://{td}/ns/{e.Namespace}/sa/{e.ServiceAccount}")))
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToArray();
            var resolution = se.Resolution switch
            {
                "STATIC" => ServiceResolution.Static,
                "DNS" => ServiceResolution.Dns,
                "DNS_ROUND_ROBIN" => ServiceResolution.DnsRoundRobin,
                _ => ServiceResolution.Passthrough,
            };
            foreach (var host in se.Hosts)
            {
                services.Add(new MeshService
                {
                    Host = host.ToLowerInvariant(),
                    Namespace = resource.Namespace,
                    Ports = ports,
                    Vips = se.Addresses.Where(a => !a.Contains('/', StringComparison.Ordinal)).ToArray(),
                    Cidrs = se.Addresses.Where(a => a.Contains('/', StringComparison.Ordinal)).ToArray(),
                    Resolution = resolution,
                    MeshExternal = !se.IsMeshInternal,
                    Endpoints = endpoints,
                    ExportTo = se.ExportTo.Count > 0 ? se.ExportTo : mesh.DefaultServiceExportTo,
                    ServiceAccounts = sans,
                    WorkloadSelector = se.WorkloadSelector is { } s ? Labels.From(s) : null,
                    Source = resource,
                });
            }
        }

        // Istio's aggregate registry lists Kubernetes services before ServiceEntries: a Service wins a shared host.
        IReadOnlyList<MeshService> all = [.. KubernetesServiceRegistry.Build(resources, mesh, workloadEntries), .. services];
        var aliases = KubernetesServiceRegistry.Aliases(resources).ToLookup(a => a.Target, a => a.Alias, StringComparer.Ordinal);
        return aliases.Count == 0 ? all : all.Select(s => aliases[s.Host] is var named && named.Any() ? s.WithAliases(named) : s).ToArray();
    }

    /// <summary>The endpoints of the WorkloadEntries in <paramref name="ns"/> that <paramref name="selector"/> selects
    /// (those with an address this sidecar can reach: not empty, not a unix socket).</summary>
    public static IEnumerable<ServiceEndpoint> SelectedWorkloadEntries(IEnumerable<IstioResource> workloadEntries, string ns, Labels selector)
    {
        foreach (var we in workloadEntries)
        {
            var entry = (WorkloadEntrySpec)we.Spec;
            if (we.Namespace == ns && Labels.From(entry.Labels).IsSupersetOf(selector) && entry.Address.Length > 0 &&
                !entry.Address.StartsWith("unix://", StringComparison.Ordinal))
            {
                yield return ToEndpoint(entry, we.Namespace, we.Name);
            }
        }
    }

    private static ServiceEndpoint ToEndpoint(WorkloadEntrySpec entry, string ns, string? workloadName) => new()
    {
        Address = entry.Address,
        Ports = entry.Ports,
        Labels = Labels.From(entry.Labels),
        Weight = entry.Weight is { } w && w > 0 ? w : 1,
        Locality = string.IsNullOrEmpty(entry.Locality) ? null : entry.Locality,
        ServiceAccount = string.IsNullOrEmpty(entry.ServiceAccount) ? null : entry.ServiceAccount,
        WorkloadName = workloadName,
        Namespace = ns,
    };
}
