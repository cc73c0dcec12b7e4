using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Security;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Security;

/// <summary>Istio's <c>mtls.mode</c> as applied to one inbound port.</summary>
internal enum InboundMtlsMode
{
    Permissive,
    Strict,
    Disable,
}

/// <summary>
/// The PeerAuthentication in force for this workload (Istio's <c>ComposePeerAuthentication</c>): the workload-level
/// policy (selector matching the workload's labels, in its namespace) over the namespace-level one (no selector, in
/// its namespace) over the mesh-level one (no selector, in the root namespace); UNSET inherits from the level above;
/// PERMISSIVE when none says otherwise. Port-level modes (<c>portLevelMtls</c>, workload policies only) override per
/// workload port. When several policies compete at one level, the oldest wins in Istio; here the first by name.
/// </summary>
internal sealed class PeerAuthenticationPolicy
{
    private readonly InboundMtlsMode _mode;
    private readonly IReadOnlyDictionary<int, string>? _ports;

    public PeerAuthenticationPolicy(IReadOnlyList<IstioResource> resources, WorkloadInfo workload, string rootNamespace)
    {
        var levels = PolicyLevels.Find(resources, ResourceKind.PeerAuthentication, static spec => ((PeerAuthenticationSpec)spec).Selector, workload, rootNamespace);
        var selected = (PeerAuthenticationSpec?)levels.Workload?.Spec;
        var mode = InboundMtlsMode.Permissive;
        foreach (var level in levels.LeastSpecificFirst())
        {
            if (Parse(((PeerAuthenticationSpec)level.Spec).MtlsMode) is { } parsed)
            {
                mode = parsed;
            }
        }

        _mode = mode;
        _ports = selected?.PortLevelMtls;
    }

    /// <summary>The workload's mode where no port-level setting applies (also ports no service declares).</summary>
    public InboundMtlsMode WorkloadMode => _mode;

    /// <summary>The mode for workload (target) port <paramref name="port"/>.</summary>
    public InboundMtlsMode ModeFor(int port) =>
        _ports is not null && _ports.TryGetValue(port, out var text) && Parse(text) is { } mode ? mode : _mode;

    private static InboundMtlsMode? Parse(string? mode) => mode switch
    {
        "STRICT" => InboundMtlsMode.Strict,
        "PERMISSIVE" => InboundMtlsMode.Permissive,
        "DISABLE" => InboundMtlsMode.Disable,
        _ => null, // UNSET or absent: inherit
    };
}
