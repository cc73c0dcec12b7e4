using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Resources.Mesh;

/// <summary>
/// Istio's MeshConfig, from the <c>mesh</c> key of the <c>istio</c> ConfigMap. Only the fields this sidecar uses are
/// typed; the rest are kept as unknown (and logged) rather than refused, as Istio reads mesh config leniently.
/// </summary>
public sealed record MeshConfigSpec : IstioSpec
{
    public static readonly MeshConfigSpec Default = new();

    /// <summary><c>outboundTrafficPolicy.mode</c>: ALLOW_ANY (default) or REGISTRY_ONLY.</summary>
    public string? OutboundTrafficPolicyMode { get; init; }

    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary><c>trustDomainAliases</c>: trust domains whose workloads are treated as this one's (a migration's old one).</summary>
    public IReadOnlyList<string> TrustDomainAliases { get; init; } = [];

    /// <summary>The trust domain, then its aliases (istiod's trust domain bundle).</summary>
    public IReadOnlyList<string> TrustDomains => [TrustDomain, .. TrustDomainAliases.Where(a => a != TrustDomain).Distinct()];

    /// <summary>Istio's inbound peer validation: a SPIFFE id in the trust domain or one of its aliases.</summary>
    public EquatableArray<string> PeerSanPrefixes => TrustDomains.Select(td => $"spiffe://{td}/").ToEquatableArray();

    /// <summary>The retry policy of routes that set none (Istio's default when null).</summary>
    public HttpRetry? DefaultHttpRetryPolicy { get; init; }

    public string RootNamespace { get; init; } = "istio-system";

    public bool EnableAutoMtls { get; init; } = true;

    public IstioDuration ConnectTimeout { get; init; } = IstioDuration.FromTimeSpan(TimeSpan.FromSeconds(10));

    /// <summary><c>protocolDetectionTimeout</c>: how long a client on an auto-detected port may stay silent before its
    /// connection is taken as server-first TCP; 0s (Istio's default) waits for its first bytes however long.</summary>
    public IstioDuration ProtocolDetectionTimeout { get; init; }

    public IstioDuration DnsRefreshRate { get; init; } = IstioDuration.FromTimeSpan(TimeSpan.FromSeconds(60));

    /// <summary><c>h2UpgradePolicy</c>: DO_NOT_UPGRADE (default) or UPGRADE.</summary>
    public string H2UpgradePolicy { get; init; } = "DO_NOT_UPGRADE";

    public TcpKeepalive? TcpKeepalive { get; init; }

    /// <summary><c>pathNormalization.normalization</c>: DEFAULT (BASE), NONE, BASE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES.</summary>
    public string? PathNormalization { get; init; }

    /// <summary><c>defaultConfig.proxyHeaders</c>: which of its own headers the proxy adds.</summary>
    public ProxyHeadersConfig ProxyHeaders { get; init; } = ProxyHeadersConfig.Default;

    public IReadOnlyList<string> DefaultServiceExportTo { get; init; } = [];

    public IReadOnlyList<string> DefaultVirtualServiceExportTo { get; init; } = [];

    public IReadOnlyList<string> DefaultDestinationRuleExportTo { get; init; } = [];

    /// <summary>Access log file (<c>accessLogFile</c>), e.g. <c>/dev/stdout</c>; empty disables.</summary>
    public string? AccessLogFile { get; init; }

    /// <summary><c>accessLogEncoding</c>: TEXT or JSON.</summary>
    public string? AccessLogEncoding { get; init; }

    public string? AccessLogFormat { get; init; }

    public bool? EnableTracing { get; init; }

    /// <summary><c>defaultConfig.tracing.sampling</c>: percentage of new traces sampled (Istio's default 1).</summary>
    public double? TracingSampling { get; init; }

    /// <summary><c>defaultConfig.tracing.customTags</c>: span tags when no Telemetry resource sets its own.</summary>
    public IReadOnlyList<TracingCustomTag> TracingCustomTags { get; init; } = [];

    /// <summary>
    /// <c>defaultConfig.tracing.zipkin.address</c> (host:port): the proxy config's own tracer, which Istio uses for a
    /// workload no Telemetry API tracing applies to.
    /// </summary>
    public string? LegacyZipkinAddress { get; init; }

    /// <summary><c>defaultConfig.tracing.enableIstioTags</c>: whether spans carry the <c>istio.*</c> tags when no Telemetry resource says.</summary>
    public bool? TracingIstioTags { get; init; }

    /// <summary>The tracing entries of <c>extensionProviders</c> (other kinds are not read).</summary>
    public IReadOnlyList<TracingExtensionProvider> TracingProviders { get; init; } = [];

    /// <summary><c>defaultProviders.tracing</c>: the provider names used when no Telemetry resource says otherwise.</summary>
    public IReadOnlyList<string> DefaultTracingProviders { get; init; } = [];

    /// <summary>The <c>envoyFileAccessLog</c> entries of <c>extensionProviders</c>.</summary>
    public IReadOnlyList<AccessLogExtensionProvider> AccessLogProviders { get; init; } = [];

    /// <summary><c>defaultProviders.accessLogging</c>: the access log providers on when no Telemetry resource says otherwise.</summary>
    public IReadOnlyList<string> DefaultAccessLogProviders { get; init; } = [];

    /// <summary>The external authorization entries of <c>extensionProviders</c> (for AuthorizationPolicy CUSTOM).</summary>
    public IReadOnlyList<ExtAuthzExtensionProvider> ExtAuthzProviders { get; init; } = [];

    /// <summary><c>localityLbSetting</c>: the mesh-wide locality load balancing a DestinationRule's own setting replaces; null: Istio's default (enabled, failover by locality).</summary>
    public LocalityLbSetting? LocalityLbSetting { get; init; }

    /// <summary>The names of <c>extensionProviders</c> entries of kind <c>prometheus</c> (Istio also has a built-in one named <c>prometheus</c>).</summary>
    public IReadOnlyList<string> PrometheusProviders { get; init; } = [];

    /// <summary><c>defaultProviders.metrics</c>; null when unset, which Istio reads as the built-in <c>prometheus</c>.</summary>
    public IReadOnlyList<string>? DefaultMetricsProviders { get; init; }

    /// <summary>Top-level keys present but not typed here (kept for diagnostics).</summary>
    public IReadOnlyList<string> UntypedFields { get; init; } = [];
}
