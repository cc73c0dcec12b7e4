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
        Resources = resources;
        Context = context;
        Mesh = resources.Select(r => r.Spec).OfType<MeshConfigSpec>().FirstOrDefault() ?? MeshConfigSpec.Default;
        Workload = context.Workload;
        AllServices = ServiceRegistryBuilder.Build(resources, Mesh, Errors);
        Scope = SidecarScope.Build(resources, AllServices, Workload, Mesh);
        _servicesByHost = Scope.Services.ToDictionary(s => s.Host, StringComparer.Ordinal);
        DestinationRules = new DestinationRuleIndex(resources, Workload, Mesh.RootNamespace, Mesh.DefaultDestinationRuleExportTo);
        OutboundTrafficPolicy = context.OutboundTrafficPolicy
            ?? ParsePolicy(Scope.Spec?.OutboundTrafficPolicyMode)
            ?? ParsePolicy(Mesh.OutboundTrafficPolicyMode)
            ?? Model.OutboundTrafficPolicy.AllowAny;
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

    public string CatchAllCluster => OutboundTrafficPolicy == Model.OutboundTrafficPolicy.RegistryOnly ? ClusterName.BlackHole : ClusterName.Passthrough;

    public List<ConfigError> Errors { get; } = [];

    public List<string> Warnings { get; } = [];

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
