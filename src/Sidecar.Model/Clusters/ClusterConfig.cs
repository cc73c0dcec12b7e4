namespace Sidecar.Model;

/// <summary>How a cluster finds its endpoints (Envoy's cluster <c>type</c>).</summary>
public enum ClusterDiscoveryType
{
    /// <summary>The endpoints listed are addresses.</summary>
    Static,

    /// <summary>The endpoints listed are host names, resolved and re-resolved (Istio's <c>resolution: DNS</c>).</summary>
    StrictDns,

    /// <summary>One host name, resolved on each new connection (Istio's <c>DNS_ROUND_ROBIN</c>).</summary>
    LogicalDns,

    /// <summary>Endpoints pushed by the control plane (EDS).</summary>
    Eds,

    /// <summary>Each request goes where the connection was originally going (<c>PassthroughCluster</c>).</summary>
    OriginalDst,
}

/// <summary>Endpoint choice (Envoy's <c>lb_policy</c>, from Istio's <c>loadBalancer.simple</c> / <c>consistentHash</c>).</summary>
public enum LoadBalancerPolicy
{
    /// <summary>Istio's default: the less loaded of two random endpoints (power of two choices).</summary>
    LeastRequest,
    RoundRobin,
    Random,
    RingHash,
    Maglev,

    /// <summary>Istio's PASSTHROUGH: forward to the original destination address.</summary>
    ClusterProvided,
}

/// <summary>The upstream HTTP protocol of a cluster.</summary>
public enum UpstreamHttpProtocol
{
    /// <summary>Same as the downstream request (Istio's default for HTTP ports).</summary>
    UseDownstream,
    Http1,

    /// <summary>HTTP/2 (prior knowledge without TLS): Istio's <c>http2</c>/<c>grpc</c> ports, or <c>h2UpgradePolicy: UPGRADE</c>.</summary>
    Http2,
}

/// <summary>
/// An Envoy <c>Cluster</c>: a set of endpoints and how to talk to them. Istio names them
/// <c>outbound|9080|v1|reviews.default.svc.cluster.local</c> (subset may be empty) and <c>inbound|9080||</c>.
/// </summary>
public sealed record ClusterConfig
{
    public required string Name { get; init; }

    public ClusterDiscoveryType Type { get; init; } = ClusterDiscoveryType.Static;

    public LoadBalancerPolicy LbPolicy { get; init; } = LoadBalancerPolicy.LeastRequest;

    /// <summary>Candidates drawn by LEAST_REQUEST (Envoy's <c>choice_count</c>, default 2).</summary>
    public int LeastRequestChoiceCount { get; init; } = 2;

    /// <summary>Ring size for RING_HASH (Istio's <c>consistentHash.minimumRingSize</c>, Envoy default 1024).</summary>
    public int MinimumRingSize { get; init; } = 1024;

    public EquatableArray<EndpointConfig> Endpoints { get; init; }

    /// <summary>Istio's <c>connectionPool.tcp.connectTimeout</c>; Istio's default is 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public CircuitBreakersConfig CircuitBreakers { get; init; } = CircuitBreakersConfig.Default;

    public OutlierDetectionConfig? OutlierDetection { get; init; }

    public UpstreamHttpProtocol HttpProtocol { get; init; } = UpstreamHttpProtocol.UseDownstream;

    /// <summary>Idle time after which a pooled upstream connection is closed (Istio's <c>http.idleTimeout</c>, default 1 h).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Istio's <c>http.maxRequestsPerConnection</c> (Envoy's <c>max_requests_per_connection</c>) for HTTP/1.1
    /// upstream connections; null means unlimited.</summary>
    public int? MaxRequestsPerConnection { get; init; }

    /// <summary>Istio's <c>http.maxConcurrentStreams</c> (Envoy's <c>http2_protocol_options.max_concurrent_streams</c>): at
    /// most this many requests at once on one HTTP/2 upstream connection; null: the server's limit.</summary>
    public int? MaxConcurrentStreams { get; init; }

    /// <summary>Istio's <c>tcp.maxConnectionDuration</c>: a pooled HTTP connection older than this is not reused; null: no limit.</summary>
    public TimeSpan? MaxConnectionDuration { get; init; }

    public TcpKeepaliveConfig? TcpKeepalive { get; init; }

    /// <summary>TLS toward every endpoint; null means plaintext unless <see cref="AutoMtls"/> applies to the endpoint.</summary>
    public UpstreamTlsConfig? Tls { get; init; }

    /// <summary>
    /// Istio's auto mTLS (a transport socket match): with no explicit TLS setting, endpoints labelled
    /// <c>security.istio.io/tlsMode: istio</c> get ISTIO_MUTUAL.
    /// </summary>
    public bool AutoMtls { get; init; }

    /// <summary>The ISTIO_MUTUAL settings auto mTLS applies to labelled endpoints (Istio's <c>tlsMode-istio</c>
    /// transport socket match: SNI, the service's SPIFFE SANs, Istio's ALPN); null without auto mTLS.</summary>
    public UpstreamTlsConfig? AutoMtlsSettings { get; init; }

    /// <summary>The DestinationRule(s) that shaped the cluster (e.g. <c>DestinationRule default/reviews</c>), for dumps; null without one.</summary>
    public string? Origin { get; init; }

    /// <summary>The service behind the cluster, for routing decisions, metrics and dumps; null for internal clusters.</summary>
    public ServiceMetadata? Service { get; init; }

    /// <summary>How often DNS clusters re-resolve (Istio's <c>dnsRefreshRate</c>, default 60 s).</summary>
    public TimeSpan DnsRefreshRate { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Source address for upstream connections (Istio binds inbound connections to 127.0.0.6).</summary>
    public string? UpstreamBindAddress { get; init; }

    /// <summary>Below this share of healthy endpoints, all endpoints are used (Envoy's panic mode; Istio's
    /// <c>outlierDetection.minHealthPercent</c>). Null means Envoy's default of 50%.</summary>
    public int? HealthyPanicThresholdPercent { get; init; }

    /// <summary>Istio's <c>loadBalancer.warmup.duration</c> (or <c>warmupDurationSecs</c>): Envoy's slow start window,
    /// in which a newly added endpoint's weight grows; null when off.</summary>
    public TimeSpan? SlowStartWindow { get; init; }

    /// <summary>Istio's <c>warmup.aggression</c> (Envoy's <c>aggression</c>): 1 grows the weight linearly.</summary>
    public double SlowStartAggression { get; init; } = 1.0;

    /// <summary>Istio's <c>warmup.minimumPercent</c> (Envoy's <c>min_weight_percent</c>): the weight a new endpoint starts at.</summary>
    public double SlowStartMinWeightPercent { get; init; } = 10;

    /// <summary>The PROXY protocol header each upstream connection starts with (Istio's <c>proxyProtocol</c>); null: none.</summary>
    public ProxyProtocolVersion? ProxyProtocol { get; init; }
}

/// <summary>Istio metadata of the service a cluster serves (<c>istio.services</c> in Envoy's cluster metadata).</summary>
/// <param name="Host">The service FQDN, e.g. <c>reviews.default.svc.cluster.local</c>.</param>
/// <param name="Name">Short name (<c>reviews</c>).</param>
/// <param name="Namespace">The service's namespace.</param>
/// <param name="Port">The service port.</param>
/// <param name="Subset">The DestinationRule subset, or null.</param>
/// <param name="Protocol">The port's protocol as Istio reads it (<c>HTTP</c>, <c>HTTP2</c>, <c>GRPC</c>, <c>TCP</c>, <c>TLS</c>, ...).</param>
public sealed record ServiceMetadata(string Host, string Name, string Namespace, int Port, string? Subset = null, string Protocol = "HTTP");

/// <summary>Envoy circuit breaker thresholds (Istio sets each to 2^32-1 unless a DestinationRule says otherwise).</summary>
public sealed record CircuitBreakersConfig
{
    public const long Unlimited = uint.MaxValue;

    public static readonly CircuitBreakersConfig Default = new();

    /// <summary>Istio's <c>tcp.maxConnections</c>.</summary>
    public long MaxConnections { get; init; } = Unlimited;

    /// <summary>Istio's <c>http.http1MaxPendingRequests</c>.</summary>
    public long MaxPendingRequests { get; init; } = Unlimited;

    /// <summary>Istio's <c>http.http2MaxRequests</c>.</summary>
    public long MaxRequests { get; init; } = Unlimited;

    /// <summary>Istio's <c>http.maxRetries</c>.</summary>
    public long MaxRetries { get; init; } = Unlimited;

    /// <summary>Istio's <c>retryBudget</c> (Envoy's <c>retry_budget</c>); when set it replaces <see cref="MaxRetries"/>.</summary>
    public RetryBudgetConfig? RetryBudget { get; init; }

    /// <summary>
    /// How many retries may be in flight while <paramref name="activeRequests"/> requests are: the retry budget's share
    /// of them, never below its floor (Envoy's <c>RetryBudgetImpl::max</c>), else <see cref="MaxRetries"/>.
    /// </summary>
    public long RetryLimit(long activeRequests) => RetryBudget is { } budget
        ? Math.Max((long)(budget.BudgetPercent / 100.0 * activeRequests), budget.MinRetryConcurrency)
        : MaxRetries;
}

/// <summary>Envoy's <c>CircuitBreakers.Thresholds.RetryBudget</c>, from Istio's <c>trafficPolicy.retryBudget</c>.</summary>
/// <param name="BudgetPercent">The share of active requests that may be retries at once, in percent.</param>
/// <param name="MinRetryConcurrency">The number of concurrent retries always allowed.</param>
public sealed record RetryBudgetConfig(double BudgetPercent, long MinRetryConcurrency);

/// <summary>Envoy outlier detection, from Istio's <c>outlierDetection</c>.</summary>
public sealed record OutlierDetectionConfig
{
    /// <summary>Istio's <c>consecutive5xxErrors</c>; null or 0 disables the check.</summary>
    public int? Consecutive5xx { get; init; }

    /// <summary>Istio's <c>consecutiveGatewayErrors</c> (502, 503, 504); null or 0 disables it.</summary>
    public int? ConsecutiveGatewayErrors { get; init; }

    /// <summary>Istio's <c>consecutiveLocalOriginFailures</c> (with <c>splitExternalLocalOriginErrors</c>).</summary>
    public int? ConsecutiveLocalOriginFailures { get; init; }

    public bool SplitExternalLocalOriginErrors { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxEjectionPercent { get; init; } = 10;
}

/// <summary>Istio's <c>connectionPool.tcp.tcpKeepalive</c>.</summary>
public sealed record TcpKeepaliveConfig(int? Probes, TimeSpan? Time, TimeSpan? Interval);
