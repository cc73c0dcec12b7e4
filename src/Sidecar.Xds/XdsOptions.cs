using Sidecar.Model;

namespace Sidecar.Xds;

/// <summary>How to reach istiod's discovery service and what to tell it about this proxy.</summary>
public sealed record XdsOptions
{
    /// <summary>
    /// istiod's gRPC address: <c>https://istiod.istio-system.svc:15012</c> (Istio's <c>DISCOVERY_ADDRESS</c>, TLS), or
    /// <c>http://host:15010</c> for istiod's plaintext port.
    /// </summary>
    public required Uri Address { get; init; }

    /// <summary>istiod's root (<c>/var/run/secrets/istio/root-cert.pem</c>); null trusts the system roots.</summary>
    public string? RootCertificatePath { get; init; }

    /// <summary>The TLS name istiod's certificate must carry (<c>ISTIOD_SAN</c>); null: the address host.</summary>
    public string? ServerName { get; init; }

    /// <summary>The projected service-account token (<c>/var/run/secrets/tokens/istio-token</c>), sent as a Bearer token.</summary>
    public string? TokenPath { get; init; }

    public required WorkloadInfo Workload { get; init; }

    /// <summary>Node metadata from the environment (Istio's <c>ISTIO_META_*</c> and <c>ISTIO_METAJSON_*</c> variables), by key.</summary>
    public IReadOnlyDictionary<string, Google.Protobuf.WellKnownTypes.Value> EnvironmentMetadata { get; init; } = new Dictionary<string, Google.Protobuf.WellKnownTypes.Value>();

    /// <summary>The interception mode the init program installed (Istio's <c>INTERCEPTION_MODE</c>).</summary>
    public string InterceptionMode { get; init; } = "REDIRECT";

    /// <summary>
    /// Whether the DNS proxy runs (pilot-agent's <c>ISTIO_META_DNS_CAPTURE</c>): the node then says <c>DNS_CAPTURE</c>
    /// and the client subscribes to istiod's name table (NDS), which istiod builds only for such a node.
    /// </summary>
    public bool DnsCapture { get; init; }

    /// <summary>pilot-agent's <c>ISTIO_META_DNS_AUTO_ALLOCATE</c>: the node says <c>DNS_AUTO_ALLOCATE</c>, and istiod
    /// gives ServiceEntries without addresses one in this proxy's config and name table.</summary>
    public bool DnsAutoAllocate { get; init; }

    /// <summary>
    /// Delta (incremental) xDS, pilot-agent's <c>ISTIO_DELTA_XDS</c> (Istio's default since 1.22): istiod sends what
    /// changed rather than every resource of a type; false asks for state of the world. A control plane that does not
    /// serve delta gets state of the world either way.
    /// </summary>
    public bool DeltaXds { get; init; } = true;

    /// <summary>Mesh settings istiod does not send over xDS (telemetry from flags); the rest comes from the resources.</summary>
    public MeshConfig Mesh { get; init; } = MeshConfig.Default;

    /// <summary>The longest wait between reconnection attempts after the stream breaks.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);
}
