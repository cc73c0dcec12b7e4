using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>
/// Everything one translation needs, indexed once (istiod's PushContext and SidecarScope for one proxy): the mesh
/// config, the proxy's identity, the registry, the Sidecar scope and the DestinationRule index; plus where errors and
/// warnings are collected.
/// </summary>
internal sealed class PushContext
{
    private readonly Dictionary<string, MeshService> _servicesByHost;

    public PushContext(IReadOnlyList<IstioResource> resources, TranslationContext context)
    {
        // istiod's sortConfigByCreationTime: where resources compete (VirtualServices for one host, DestinationRules,
        // Sidecars, PeerAuthentications), the oldest wins, then the first by name, then by namespace; never the
        // order the files happened to be read in.
        resources = [.. resources.OrderBy(r => r.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue).ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Namespace, StringComparer.Ordinal)];

        // Gateway API routes attached to services become VirtualServices, as istiod converts them.
        if (resources.Any(r => r.Kind is ResourceKind.HTTPRoute or ResourceKind.GRPCRoute))
        {
            resources = [.. resources, .. GatewayApi.HttpRouteConverter.Convert(resources, Warn)];
        }

        Mesh = resources.Select(r => r.Spec).OfType<MeshConfigSpec>().FirstOrDefault() ?? MeshConfigSpec.Default;
        resources = VirtualServiceDelegation.Merge(resources, Mesh, Warn);
        Resources = resources;
        Context = context;
        Workload = context.Workload;
        AllServices = ServiceRegistryBuilder.Build(resources, Mesh, Errors);
        if (context.AutoAllocateAddresses)
        {
            AllServices = AddressAllocator.Allocate(AllServices);
        }

        WarnShadowedServices();
        Scope = SidecarScope.Build(resources, AllServices, Workload, Mesh);
        _servicesByHost = Scope.Services.ToDictionary(s => s.Host, StringComparer.Ordinal);
        DestinationRules = new DestinationRuleIndex(resources, Workload, Mesh.RootNamespace, Mesh.DefaultDestinationRuleExportTo);
        OutboundTrafficPolicy = context.OutboundTrafficPolicy
            ?? ParsePolicy(Scope.Spec?.OutboundTrafficPolicyMode)
            ?? ParsePolicy(Mesh.OutboundTrafficPolicyMode)
            ?? Model.OutboundTrafficPolicy.AllowAny;
        CatchAllCluster = OutboundTrafficPolicy == Model.OutboundTrafficPolicy.RegistryOnly ? ClusterName.BlackHole : EgressProxyCluster() ?? ClusterName.Passthrough;
    }

    public IReadOnlyList<IstioResource> Resources { get; }

    public TranslationContext Context { get; }

    public MeshConfigSpec Mesh { get; }

    public WorkloadInfo Workload { get; }

    /// <summary>Every service of every ServiceEntry (visible or not: inbound instances need them all).</summary>
    public IReadOnlyList<MeshService> AllServices { get; }

    public SidecarScope Scope { get; }

    public DestinationRuleIndex DestinationRules { get; }

    public OutboundTrafficPolicy OutboundTrafficPolicy { get; }

    /// <summary>Where traffic to unknown destinations goes: BlackHoleCluster (REGISTRY_ONLY), the Sidecar's egressProxy, or PassthroughCluster.</summary>
    public string CatchAllCluster { get; }

    public List<ConfigError> Errors { get; } = [];

    public List<string> Warnings { get; } = [];

    /// <summary>
    /// The Sidecar's <c>egressProxy</c> under ALLOW_ANY: its <c>outbound|port|subset|host</c> cluster takes what would
    /// have passed through (Istio's passthrough chain and <c>allow_any</c> route). A proxy the workload cannot see, or
    /// whose port is ambiguous, is warned about and traffic passes through as before.
    /// </summary>
    private string? EgressProxyCluster()
    {
        if (Scope.Spec?.EgressProxy is not { } proxy)
        {
            return null;
        }

        var host = Naming.HostNames.Resolve(proxy.Host, Workload.Namespace);
        if (FindService(host) is not { } service)
        {
            Warn(null, $"Sidecar outboundTrafficPolicy.egressProxy: {host} is not a service this workload sees; unknown traffic passes through");
            return null;
        }

        var port = proxy.Port ?? (service.Ports.Count == 1 ? service.Ports[0].Number : null);
        if (port is null || !service.Ports.Any(p => p.Number == port))
        {
            Warn(null, $"Sidecar outboundTrafficPolicy.egressProxy: port {proxy.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(unset)"} is not a single port of {host}; unknown traffic passes through");
            return null;
        }

        return ClusterName.Outbound(port.Value, proxy.Subset, host);
    }

    // One definition per host and namespace is used (a Service before a ServiceEntry, else the oldest); say which
    // definitions are ignored, since a Service listed without endpoints then hides a ServiceEntry that has them.
    private void WarnShadowedServices()
    {
        foreach (var group in AllServices.GroupBy(s => (s.Host, s.Namespace)))
        {
            var first = group.First();
            foreach (var other in group.Skip(1))
            {
                if (!first.CanMergeWith(other))
                {
                    Warn(other.Source, $"host {other.Host} is also defined by {first.Source.Id} ({first.Endpoints.Count} endpoints), which is used");
                }
            }
        }
    }

    public void Warn(IstioResource? resource, string message) =>
        Warnings.Add(resource is null ? message : $"{resource.Source.File}: {resource.Id}: {message}");

    public void Error(IstioResource resource, string? field, string message) =>
        Errors.Add(new ConfigError(resource.Source.File, resource.Id, field, message));

    /// <summary>The visible service for a host (through any egress listener), or null.</summary>
    public MeshService? FindService(string host) => _servicesByHost.GetValueOrDefault(host);

    private static OutboundTrafficPolicy? ParsePolicy(string? mode) => mode switch
    {
        "REGISTRY_ONLY" => Model.OutboundTrafficPolicy.RegistryOnly,
        "ALLOW_ANY" => Model.OutboundTrafficPolicy.AllowAny,
        _ => null,
    };
}
