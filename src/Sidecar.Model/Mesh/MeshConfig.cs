namespace Sidecar.Model;

/// <summary>Istio's <c>outboundTrafficPolicy.mode</c>: what happens to traffic for destinations the mesh does not know.</summary>
public enum OutboundTrafficPolicy
{
    /// <summary>Pass it through to the original destination (<c>PassthroughCluster</c>).</summary>
    AllowAny,

    /// <summary>Refuse it (<c>BlackHoleCluster</c>, 502 with flag NR for HTTP, connection closed for TCP).</summary>
    RegistryOnly,
}

/// <summary>Mesh-wide settings from Istio's MeshConfig (the <c>istio</c> ConfigMap) and the Sidecar resource.</summary>
public sealed record MeshConfig
{
    public static readonly MeshConfig Default = new();

    public OutboundTrafficPolicy OutboundTrafficPolicy { get; init; } = OutboundTrafficPolicy.AllowAny;

    /// <summary>The SPIFFE trust domain (<c>cluster.local</c> unless set).</summary>
    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>How request paths are normalized before routing, authorization and forwarding.</summary>
    public PathNormalization PathNormalization { get; init; } = PathNormalization.Base;

    /// <summary>Access log and tracing settings.</summary>
    public TelemetryConfig Telemetry { get; init; } = TelemetryConfig.Default;

    /// <summary>Istio's <c>protocolDetectionTimeout</c>: how long a client on an auto-detected port may stay silent
    /// before its connection is server-first TCP; zero (Istio's default) waits for its first bytes however long.</summary>
    public TimeSpan ProtocolDetectionTimeout { get; init; }

    /// <summary>Which of its own headers the proxy adds (<c>defaultConfig.proxyHeaders</c>).</summary>
    public ProxyHeadersConfig ProxyHeaders { get; init; } = ProxyHeadersConfig.Default;
}
