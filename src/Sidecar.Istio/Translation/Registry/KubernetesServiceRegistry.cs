using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Kubernetes;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Registry;

/// <summary>
/// Kubernetes Services as istiod's Kubernetes registry turns them into services (ExternalName ones into aliases,
/// <see cref="Aliases"/>): the host <c>name.namespace.svc.cluster.local</c>, the cluster IPs as VIPs, each port's protocol from <c>appProtocol</c> or
/// its name (<c>ConvertProtocol</c>), and endpoints from the service's EndpointSlices (else its Endpoints object),
/// each with its pod's labels, service account and locality, plus the WorkloadEntries its selector selects
/// (<c>PILOT_ENABLE_K8S_SELECT_WORKLOAD_ENTRIES</c>). Where the config lists neither slices nor an Endpoints object
/// for a service with a selector, the ready pods it selects are its endpoints, as Kubernetes' endpoints controller
/// would have listed them.
/// </summary>
internal static class KubernetesServiceRegistry
{
    /// <summary>The Service annotation that limits where it is visible (Istio's <c>exportTo</c> for Kubernetes services).</summary>
    private const string ExportToAnnotation = "networking.istio.io/exportTo";

    private const string ServiceAccountsAnnotation = "alpha.istio.io/kubernetes-service-accounts";
    private const string CanonicalServiceAccountsAnnotation = "alpha.istio.io/canonical-serviceaccounts";

    // ConvertProtocol: ports where an unnamed protocol means TCP rather than sniffing (SMTP, DNS, MySQL, MongoDB).
    private static readonly int[] WellKnownTcpPorts = [25, 53, 3306, 27017];

    public static IEnumerable<MeshService> Build(IReadOnlyList<IstioResource> resources, MeshConfigSpec mesh, IReadOnlyList<IstioResource> workloadEntries)
    {
        var index = new ObjectIndex(resources);
        foreach (var resource in resources)
        {
            if (resource.Spec is not KubernetesServiceSpec service)
            {
                continue;
            }

            if (service.IsExternalName)
            {
                // An alias of another service (istiod's ENABLE_EXTERNAL_NAME_ALIAS, on since 1.21): no service of its
                // own; see Aliases.
                continue;
            }

            var ports = service.Ports
                .Select(p => new MeshServicePort(p.Port, p.Name, Protocol(p), p.TargetPortNumber) { TargetPortName = p.TargetPortName })
                .ToArray();
            var endpoints = Endpoints(resource, service, ports, index, workloadEntries);
            yield return new MeshService
            {
                Host = HostOf(resource),
                Namespace = resource.Namespace,
                Ports = ports,
                Vips = service.IsHeadless ? [] : service.ClusterIps.Where(ip => ip.Length > 0 && HostNames.IsIpAddress(ip)).ToArray(),
                Resolution = service.IsHeadless ? ServiceResolution.Passthrough : ServiceResolution.Static,
                Endpoints = endpoints,
                ExportTo = resource.Metadata.Annotations.TryGetValue(ExportToAnnotation, out var exportTo)
                    ? exportTo.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    : mesh.DefaultServiceExportTo,
                ServiceAccounts = ServiceAccounts(resource, endpoints, mesh.TrustDomains),
                WorkloadSelector = service.Selector is { Count: > 0 } selector ? Labels.From(selector) : null,
                Source = resource,
            };
        }
    }

    /// <summary>
    /// ExternalName Services as istiod treats them since 1.21: an alias host (<c>name.namespace.svc.cluster.local</c>)
    /// for the service named by <c>externalName</c>, matched wherever that service's host is; its ports are ignored,
    /// and it does nothing when no service has that name (Kubernetes' DNS CNAME still answers for it).
    /// </summary>
    public static IEnumerable<(string Alias, string Target)> Aliases(IReadOnlyList<IstioResource> resources) =>
        resources
            .Where(r => r.Spec is KubernetesServiceSpec { IsExternalName: true, ExternalName.Length: > 0 })
            .Select(r => (HostOf(r), ((KubernetesServiceSpec)r.Spec).ExternalName!.TrimEnd('.').ToLowerInvariant()));

    private static string HostOf(IstioResource service) => HostNames.ServiceHost(service.Name, service.Namespace);

    /// <summary>Istio's <c>kube.ConvertProtocol</c>.</summary>
    public static PortProtocol Protocol(KubernetesServicePort port)
    {
        if (string.Equals(port.Protocol, "UDP", StringComparison.OrdinalIgnoreCase))
        {
            return PortProtocol.Udp;
        }

        var name = port.Name;
        if (port.AppProtocol is { } appProtocol)
        {
            switch (appProtocol)
            {
                case "kubernetes.io/h2c":
                    return PortProtocol.Http2;
                case "kubernetes.io/ws":
                    return PortProtocol.Http;
                case "kubernetes.io/wss":
                    return PortProtocol.Https;
            }

            name = appProtocol;
        }

        var protocol = PortProtocols.FromPort(protocol: null, name);
        return protocol == PortProtocol.Unsupported && WellKnownTcpPorts.Contains(port.Port) ? PortProtocol.Tcp : protocol;
    }

    private static List<ServiceEndpoint> Endpoints(IstioResource resource, KubernetesServiceSpec service, MeshServicePort[] ports, ObjectIndex index, IReadOnlyList<IstioResource> workloadEntries)
    {
        var endpoints = new List<ServiceEndpoint>();
        // One endpoint per address and port list: slices may list one address for different target ports.
        var seen = new HashSet<(string Address, string Ports)>();
        var slices = index.SlicesOf(resource.Namespace, resource.Name);
        if (slices.Count > 0)
        {
            foreach (var slice in slices)
            {
                if (slice.AddressType != "FQDN")
                {
                    AddListed(slice.Endpoints, slice.Ports);
                }
            }
        }
        else if (index.EndpointsOf(resource.Namespace, resource.Name) is { } listed)
        {
            foreach (var subset in listed.Subsets)
            {
                AddListed(subset.Addresses, subset.Ports);
            }
        }
        else if (service.Selector is { Count: > 0 } selector)
        {
            foreach (var pod in SelectedPods(index.PodsIn(resource.Namespace), Labels.From(selector), includeNotReady: service.PublishNotReadyAddresses))
            {
                var spec = (PodSpec)pod.Spec;
                var podPorts = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var port in ports)
                {
                    var target = port.TargetPortName is { } named ? spec.NamedPort(named) : port.TargetPort ?? port.Number;
                    if (target is { } number)
                    {
                        podPorts[port.Name] = number;
                    }
                }

                foreach (var ip in spec.Ips)
                {
                    Add(ip, pod, podPorts);
                }
            }
        }

        if (service.Selector is { Count: > 0 } weSelector)
        {
            foreach (var endpoint in ServiceRegistryBuilder.SelectedWorkloadEntries(workloadEntries, resource.Namespace, Labels.From(weSelector)))
            {
                if (seen.Add((endpoint.Address, "")))
                {
                    endpoints.Add(endpoint);
                }
            }
        }

        return endpoints;

        void AddListed(IReadOnlyList<SliceEndpoint> addresses, IReadOnlyList<EndpointPort> listedPorts)
        {
            var byName = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var port in listedPorts)
            {
                byName.TryAdd(port.Name, port.Port);
            }

            foreach (var address in addresses)
            {
                if (address.Ready == false)
                {
                    continue;
                }

                foreach (var ip in address.Addresses)
                {
                    var pod = address.PodName is { } podName ? index.Pod(address.PodNamespace ?? resource.Namespace, podName) : index.PodAt(ip);
                    Add(ip, pod, byName, address.Hostname);
                }
            }
        }

        void Add(string ip, IstioResource? pod, IReadOnlyDictionary<string, int> endpointPorts, string? hostname = null)
        {
            if (!seen.Add((ip, string.Join(',', endpointPorts.OrderBy(p => p.Key, StringComparer.Ordinal)))))
            {
                return;
            }

            var served = ports.Where(p => endpointPorts.ContainsKey(p.Name)).Select(p => p.Number).ToHashSet();
            var endpoint = PodEndpoint(ip, pod, endpointPorts, resource.Namespace);
            endpoints.Add(endpoint with { ServicePorts = served.Count == ports.Length ? null : served, HostName = hostname ?? endpoint.HostName });
        }
    }

    /// <summary>The ready pods (all of them with <paramref name="includeNotReady"/>) whose labels <paramref name="selector"/> selects.</summary>
    public static IEnumerable<IstioResource> SelectedPods(IEnumerable<IstioResource> pods, Labels selector, bool includeNotReady = false) =>
        pods.Where(r => r.Spec is PodSpec pod && (pod.Ready || includeNotReady) && Labels.From(r.Metadata.Labels).IsSupersetOf(selector));

    /// <summary>An endpoint at <paramref name="ip"/> with what istiod takes from its pod: labels, service account,
    /// locality and workload.</summary>
    public static ServiceEndpoint PodEndpoint(string ip, IstioResource? pod, IReadOnlyDictionary<string, int> ports, string serviceNamespace)
    {
        var labels = pod is null ? Labels.Empty : Labels.From(pod.Metadata.Labels);
        return new ServiceEndpoint
        {
            Address = ip,
            Ports = ports,
            Labels = labels,
            Locality = PodLocality.FromLabels(labels) is { Length: > 0 } locality ? locality : null,
            ServiceAccount = (pod?.Spec as PodSpec)?.ServiceAccountName,
            WorkloadName = pod is null ? null : ((PodSpec)pod.Spec).WorkloadName ?? pod.Name,
            Namespace = pod?.Namespace ?? serviceNamespace,
            HostName = (pod?.Spec as PodSpec)?.Hostname,
            SubDomain = (pod?.Spec as PodSpec)?.Subdomain,
        };
    }

    // Each identity in the trust domain and in its aliases (istiod's spiffe.ExpandWithTrustDomains).
    private static string[] ServiceAccounts(IstioResource resource, List<ServiceEndpoint> endpoints, IReadOnlyList<string> trustDomains)
    {
        var accounts = endpoints
            .Where(e => !string.IsNullOrEmpty(e.ServiceAccount))
            .SelectMany(e => trustDomains.Select(td => $"spiffe://{td}/ns/{e.Namespace}/sa/{e.ServiceAccount}"));
        if (resource.Metadata.Annotations.TryGetValue(ServiceAccountsAnnotation, out var kubernetes))
        {
            accounts = accounts.Concat(kubernetes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(sa => trustDomains.Select(td => $"spiffe://{td}/ns/{resource.Namespace}/sa/{sa}")));
        }

        if (resource.Metadata.Annotations.TryGetValue(CanonicalServiceAccountsAnnotation, out var canonical))
        {
            accounts = accounts.Concat(canonical.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }

        return accounts.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The config's EndpointSlices by service, Endpoints by name and Pods by name and IP.</summary>
    private sealed class ObjectIndex
    {
        private readonly Dictionary<(string Namespace, string Service), List<EndpointSliceSpec>> _slices = [];
        private readonly Dictionary<(string Namespace, string Name), EndpointsSpec> _endpoints = [];
        private readonly Dictionary<(string Namespace, string Name), IstioResource> _pods = [];
        private readonly Dictionary<string, IstioResource> _podsByIp = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<IstioResource>> _podsByNamespace = new(StringComparer.Ordinal);

        public ObjectIndex(IReadOnlyList<IstioResource> resources)
        {
            foreach (var resource in resources)
            {
                switch (resource.Spec)
                {
                    case EndpointSliceSpec slice when resource.Metadata.Labels.TryGetValue(EndpointSliceSpec.ServiceNameLabel, out var service):
                        var key = (resource.Namespace, service);
                        if (!_slices.TryGetValue(key, out var list))
                        {
                            _slices[key] = list = [];
                        }

                        list.Add(slice);
                        break;
                    case EndpointsSpec endpoints:
                        _endpoints[(resource.Namespace, resource.Name)] = endpoints;
                        break;
                    case PodSpec pod:
                        _pods[(resource.Namespace, resource.Name)] = resource;
                        foreach (var ip in pod.Ips)
                        {
                            _podsByIp.TryAdd(ip, resource);
                        }

                        if (!_podsByNamespace.TryGetValue(resource.Namespace, out var pods))
                        {
                            _podsByNamespace[resource.Namespace] = pods = [];
                        }

                        pods.Add(resource);
                        break;
                }
            }
        }

        public IReadOnlyList<EndpointSliceSpec> SlicesOf(string ns, string service) => _slices.TryGetValue((ns, service), out var list) ? list : [];

        public EndpointsSpec? EndpointsOf(string ns, string name) => _endpoints.GetValueOrDefault((ns, name));

        public IstioResource? Pod(string ns, string name) => _pods.GetValueOrDefault((ns, name));

        public IstioResource? PodAt(string ip) => _podsByIp.GetValueOrDefault(ip);

        public IReadOnlyList<IstioResource> PodsIn(string ns) => _podsByNamespace.TryGetValue(ns, out var pods) ? pods : [];
    }
}
