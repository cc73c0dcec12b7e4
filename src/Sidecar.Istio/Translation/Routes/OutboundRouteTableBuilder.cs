using System.Globalization;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>
/// Builds an outbound route table (Istio's <c>BuildSidecarOutboundVirtualHosts</c>): one virtual host per service on
/// the port, named <c>host:port</c>, with the routes of the VirtualService that claims the service (the first with the
/// exact host, else the most specific wildcard) or the default route; VirtualService hosts that are not services get
/// their own virtual host (on port 80 when no service matches); then the <c>allow_any</c> or <c>block_all</c> catch-all.
/// </summary>
internal sealed class OutboundRouteTableBuilder(PushContext push)
{
    public const string DefaultRouteName = "default";
    private readonly HttpRouteTranslator _routes = new(push);
    private VirtualServiceHostIndex? _hostIndex;

    public RouteTableConfig Build(string name, int port, IEnumerable<MeshService> candidates, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        var virtualHosts = VirtualHosts(port, candidates, virtualServices);
        virtualHosts.Add(CatchAll());
        return new RouteTableConfig { Name = name, VirtualHosts = virtualHosts.ToEquatableArray() };
    }

    /// <summary>
    /// The table of a Sidecar egress port with protocol <c>HTTP_PROXY</c>: every service on every HTTP port, as istiod
    /// builds it for listener port 0 (<c>mergeAllVirtualHosts</c>: off port 80 only the domains with a port are kept).
    /// </summary>
    public RouteTableConfig BuildForAllPorts(string name, IReadOnlyList<MeshService> candidates, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        var ports = candidates.SelectMany(s => s.Ports).Where(p => p.Protocol.IsHttpOrSniffed()).Select(p => p.Number).Distinct().Order();
        var virtualHosts = new List<VirtualHostConfig>();
        foreach (var port in ports)
        {
            foreach (var vhost in VirtualHosts(port, candidates, virtualServices))
            {
                var domains = port == 80 ? vhost.Domains : vhost.Domains.Where(d => d.Contains(':', StringComparison.Ordinal)).ToEquatableArray();
                if (!domains.IsEmpty)
                {
                    virtualHosts.Add(vhost with { Domains = domains });
                }
            }
        }

        virtualHosts = Deduplicate(virtualHosts);
        virtualHosts.Add(CatchAll());
        return new RouteTableConfig { Name = name, VirtualHosts = virtualHosts.ToEquatableArray() };
    }

    /// <summary>
    /// The table of an auto-detected port bound to one service's VIP (named <c>host:port</c>): only that service's
    /// virtual host, matching any authority, as istiod's <c>getVirtualHostsForSniffedServicePort</c> leaves it.
    /// </summary>
    public RouteTableConfig BuildForService(string name, int port, MeshService service, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        // Only the VirtualService that claims the service can give it routes: translating the others for every
        // sniffed port would cost n * n in a mesh of n services.
        var claim = Claims([service], virtualServices).GetValueOrDefault(service.Host);
        var virtualHosts = VirtualHosts(port, [service], claim is null ? [] : [claim]);
        var own = virtualHosts.FirstOrDefault(v => v.Name == VirtualHostName(service.Host, port));
        return new RouteTableConfig { Name = name, VirtualHosts = own is null ? default : [own with { Domains = ["*"] }] };
    }

    private List<VirtualHostConfig> VirtualHosts(int port, IEnumerable<MeshService> candidates, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        // The services of this table, restricted to the port (Istio copies each with that single port).
        var services = new List<MeshService>();
        var byHost = new Dictionary<string, MeshService>(StringComparer.Ordinal);
        foreach (var service in candidates)
        {
            if (service.FindPort(port) is { } servicePort && servicePort.Protocol.IsHttpOrSniffed() && byHost.TryAdd(service.Host, service))
            {
                services.Add(service);
            }
        }

        var claims = Claims(services, virtualServices);
        var virtualHosts = new List<VirtualHostConfig>();
        foreach (var vs in virtualServices)
        {
            var routes = _routes.Translate(vs, port);
            if (routes.Count == 0)
            {
                continue;
            }

            var claimed = new List<MeshService>();
            var otherHosts = new List<string>();
            foreach (var host in vs.Hosts)
            {
                if (!HostNames.IsWildcarded(host))
                {
                    if (byHost.TryGetValue(host, out var exact))
                    {
                        if (ReferenceEquals(claims.GetValueOrDefault(exact.Host), vs))
                        {
                            claimed.Add(exact);
                        }
                    }
                    else
                    {
                        otherHosts.Add(host);
                    }

                    continue;
                }

                var anyMatch = false;
                foreach (var service in services)
                {
                    if (HostNames.Matches(service.Host, host))
                    {
                        anyMatch = true;
                        if (ReferenceEquals(claims.GetValueOrDefault(service.Host), vs) && !claimed.Contains(service))
                        {
                            claimed.Add(service);
                        }
                    }
                }

                if (!anyMatch)
                {
                    otherHosts.Add(host);
                }
            }

            if (claimed.Count == 0 && port != 80)
            {
                // Hosts outside the registry only get routes on port 80, as in Istio.
                continue;
            }

            // As istiod orders them: the VirtualService's own hosts, then the services it claims.
            var routeArray = routes.ToEquatableArray();
            foreach (var host in otherHosts)
            {
                virtualHosts.Add(new VirtualHostConfig
                {
                    Name = VirtualHostName(host, port),
                    Domains = VirtualHostDomains.ForHost(host, port).ToEquatableArray(),
                    Routes = routeArray,
                });
            }

            foreach (var service in claimed)
            {
                virtualHosts.Add(new VirtualHostConfig
                {
                    Name = VirtualHostName(service.Host, port),
                    Domains = VirtualHostDomains.ForService(service, port, push.Workload.Namespace).ToEquatableArray(),
                    Routes = routeArray,
                });
            }
        }

        // Names already taken by a VirtualService's virtual host: a set, as a mesh has thousands of services.
        var named = new HashSet<string>(virtualHosts.Count, StringComparer.Ordinal);
        foreach (var vhost in virtualHosts)
        {
            named.Add(vhost.Name);
        }

        foreach (var service in services)
        {
            if (claims.ContainsKey(service.Host) && named.Contains(VirtualHostName(service.Host, port)))
            {
                continue;
            }

            virtualHosts.Add(new VirtualHostConfig
            {
                Name = VirtualHostName(service.Host, port),
                Domains = VirtualHostDomains.ForService(service, port, push.Workload.Namespace).ToEquatableArray(),
                Routes = [DefaultRoute(service, port)],
            });
        }

        return Deduplicate(virtualHosts);
    }

    public static string VirtualHostName(string host, int port) => $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Istio's <c>BuildDefaultHTTPOutboundRoute</c>: <c>/</c> to the service's cluster with the mesh's default
    /// retry policy, no timeout, and the DestinationRule's consistent hash if any.</summary>
    private RouteConfig DefaultRoute(MeshService service, int port)
    {
        var hash = HashPolicies.ToHashPolicy(HashPolicies.ForService(push.DestinationRules.Find(service.Host, service.Namespace), port));
        return new RouteConfig
        {
            Name = DefaultRouteName,
            Match = RouteMatchConfig.Any,
            Route = new RouteActionConfig
            {
                Clusters = [new WeightedClusterConfig { Cluster = ClusterName.Outbound(port, null, service.Host) }],
                Retry = RetryPolicies.Convert(push.Mesh.DefaultHttpRetryPolicy, consistentHash: false),
                HashPolicy = hash is null ? default : [hash],
            },
        };
    }

    /// <summary>Istio's <c>allow_any</c> (to <c>PassthroughCluster</c>, or the Sidecar's egressProxy) or <c>block_all</c> (502) virtual host.</summary>
    private VirtualHostConfig CatchAll()
    {
        if (push.OutboundTrafficPolicy == OutboundTrafficPolicy.RegistryOnly)
        {
            return new VirtualHostConfig
            {
                Name = "block_all",
                Domains = ["*"],
                Routes = [new RouteConfig { Name = "block_all", DirectResponse = new DirectResponseConfig(502) }],
            };
        }

        return new VirtualHostConfig
        {
            Name = "allow_any",
            Domains = ["*"],
            Routes =
            [
                new RouteConfig
                {
                    Name = "allow_any",
                    Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = push.CatchAllCluster }] },
                },
            ],
        };
    }

    /// <summary>For each service, the VirtualService whose routes apply: the first naming the exact host, else the one
    /// with the most specific matching wildcard host (the first among equals).</summary>
    private Dictionary<string, VirtualServiceEntry> Claims(IReadOnlyList<MeshService> services, IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        var index = HostIndexOf(virtualServices);
        var claims = new Dictionary<string, VirtualServiceEntry>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            var exact = index.Exact.GetValueOrDefault(service.Host);
            VirtualServiceEntry? wildcard = null;
            var wildcardLength = -1;
            if (exact is null)
            {
                foreach (var (host, vs) in index.Wildcards)
                {
                    if (HostNames.Matches(service.Host, host) && host.Length > wildcardLength)
                    {
                        wildcard = vs;
                        wildcardLength = host.Length;
                    }
                }
            }

            if ((exact ?? wildcard) is { } claim)
            {
                claims[service.Host] = claim;
            }
        }

        return claims;
    }

    /// <summary>
    /// The VirtualServices' hosts indexed once per list (a push asks for every port and every sniffed service with
    /// the same list), so a mesh of n services and n VirtualServices costs n lookups, not n * n comparisons.
    /// </summary>
    private VirtualServiceHostIndex HostIndexOf(IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        if (_hostIndex is { } cached && ReferenceEquals(cached.VirtualServices, virtualServices))
        {
            return cached;
        }

        var index = Index(virtualServices);
        // A sniffed port's table passes only its claiming VirtualService: indexing that list costs nothing, and
        // caching it would evict the push's full list, indexed again for the next service.
        if (virtualServices.Count > 1)
        {
            _hostIndex = index;
        }

        return index;
    }

    private static VirtualServiceHostIndex Index(IReadOnlyList<VirtualServiceEntry> virtualServices)
    {
        var exact = new Dictionary<string, VirtualServiceEntry>(StringComparer.Ordinal);
        var wildcards = new List<(string Host, VirtualServiceEntry VirtualService)>();
        foreach (var vs in virtualServices)
        {
            foreach (var host in vs.Hosts)
            {
                // A wildcard host is also an exact one: a ServiceEntry may name "*.example.com" itself.
                exact.TryAdd(host, vs);
                if (HostNames.IsWildcarded(host))
                {
                    wildcards.Add((host, vs));
                }
            }
        }

        return new VirtualServiceHostIndex(virtualServices, exact, wildcards);
    }

    private sealed record VirtualServiceHostIndex(
        IReadOnlyList<VirtualServiceEntry> VirtualServices,
        Dictionary<string, VirtualServiceEntry> Exact,
        List<(string Host, VirtualServiceEntry VirtualService)> Wildcards);

    /// <summary>A domain may appear in one virtual host only: the first keeps it, and a virtual host left without
    /// domains is dropped (Envoy refuses duplicate domains).</summary>
    private static List<VirtualHostConfig> Deduplicate(List<VirtualHostConfig> virtualHosts)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<VirtualHostConfig>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var vhost in virtualHosts)
        {
            if (!names.Add(vhost.Name))
            {
                continue;
            }

            var domains = vhost.Domains.Where(seen.Add).ToArray();
            if (domains.Length > 0)
            {
                result.Add(domains.Length == vhost.Domains.Count ? vhost : vhost with { Domains = domains.ToEquatableArray() });
            }
        }

        return result;
    }
}
