namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>TrafficPolicy</c>: how to talk to a destination.</summary>
public sealed record TrafficPolicy
{
    public LoadBalancerSettings? LoadBalancer { get; init; }

    public ConnectionPoolSettings? ConnectionPool { get; init; }

    public OutlierDetection? OutlierDetection { get; init; }

    public ClientTlsSettings? Tls { get; init; }

    public IReadOnlyList<PortTrafficPolicy> PortLevelSettings { get; init; } = [];

    /// <summary><c>tunnel</c>: TCP to this destination goes inside an HTTP CONNECT or POST request; null when absent.</summary>
    public TunnelSettings? Tunnel { get; init; }

    /// <summary><c>proxyProtocol</c>: the PROXY protocol header upstream connections start with; null when absent.</summary>
    public ProxyProtocolSettings? ProxyProtocol { get; init; }

    /// <summary><c>retryBudget</c>: replaces <c>connectionPool.http.maxRetries</c>; null when absent.</summary>
    public RetryBudgetSettings? RetryBudget { get; init; }
}

/// <summary>Istio's <c>TrafficPolicy.TunnelSettings</c>.</summary>
/// <param name="Protocol"><c>CONNECT</c> (the default) or <c>POST</c>.</param>
/// <param name="TargetHost">The host the tunnel's proxy is asked to reach.</param>
/// <param name="TargetPort">Its port.</param>
public sealed record TunnelSettings(string Protocol, string TargetHost, uint TargetPort);

/// <summary>Istio's <c>TrafficPolicy.RetryBudget</c>: concurrent retries as a share of active requests.</summary>
/// <param name="Percent"><c>percent</c>; null when unset.</param>
/// <param name="MinRetryConcurrency"><c>minRetryConcurrency</c>; 0 when unset.</param>
public sealed record RetryBudgetSettings(double? Percent, uint MinRetryConcurrency);

/// <summary>Istio's <c>TrafficPolicy.ProxyProtocol</c>.</summary>
/// <param name="Version"><c>V1</c> (the default) or <c>V2</c>.</param>
public sealed record ProxyProtocolSettings(string Version);

/// <summary>A <c>portLevelSettings[]</c> entry: replaces (does not merge with) the policy for one port.</summary>
public sealed record PortTrafficPolicy
{
    public int? Port { get; init; }

    public LoadBalancerSettings? LoadBalancer { get; init; }

    public ConnectionPoolSettings? ConnectionPool { get; init; }

    public OutlierDetection? OutlierDetection { get; init; }

    public ClientTlsSettings? Tls { get; init; }
}

/// <summary>Istio's <c>LoadBalancerSettings</c>.</summary>
public sealed record LoadBalancerSettings
{
    /// <summary><c>simple</c>: UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST.</summary>
    public string? Simple { get; init; }

    public ConsistentHashLb? ConsistentHash { get; init; }

    public LocalityLbSetting? LocalityLbSetting { get; init; }

    public IstioDuration? WarmupDurationSecs { get; init; }

    /// <summary><c>warmup.duration</c>.</summary>
    public IstioDuration? WarmupDuration { get; init; }

    /// <summary><c>warmup.minimumPercent</c>.</summary>
    public double? WarmupMinimumPercent { get; init; }

    /// <summary><c>warmup.aggression</c>.</summary>
    public double? WarmupAggression { get; init; }
}

/// <summary>Istio's <c>ConsistentHashLB</c>: what to hash and which hashing load balancer.</summary>
public sealed record ConsistentHashLb
{
    public string? HttpHeaderName { get; init; }

    public HttpCookie? HttpCookie { get; init; }

    public bool? UseSourceIp { get; init; }

    public string? HttpQueryParameterName { get; init; }

    /// <summary><c>ringHash.minimumRingSize</c>; <see cref="HasRingHash"/> tells whether <c>ringHash</c> was given.</summary>
    public ulong? RingHashMinimumRingSize { get; init; }

    public bool HasRingHash { get; init; }

    public ulong? MaglevTableSize { get; init; }

    public bool HasMaglev { get; init; }

    /// <summary>The deprecated top-level <c>minimumRingSize</c>.</summary>
    public ulong? MinimumRingSize { get; init; }
}

/// <summary><c>consistentHash.httpCookie</c>.</summary>
public sealed record HttpCookie
{
    public string Name { get; init; } = "";

    public string? Path { get; init; }

    public IstioDuration? Ttl { get; init; }
}

/// <summary>Istio's <c>ConnectionPoolSettings</c>.</summary>
public sealed record ConnectionPoolSettings
{
    public TcpSettings? Tcp { get; init; }

    public HttpSettings? Http { get; init; }
}

/// <summary><c>connectionPool.tcp</c>.</summary>
public sealed record TcpSettings
{
    public int? MaxConnections { get; init; }

    public IstioDuration? ConnectTimeout { get; init; }

    public TcpKeepalive? TcpKeepalive { get; init; }

    public IstioDuration? MaxConnectionDuration { get; init; }

    public IstioDuration? IdleTimeout { get; init; }
}

/// <summary><c>connectionPool.tcp.tcpKeepalive</c>.</summary>
public sealed record TcpKeepalive
{
    public int? Probes { get; init; }

    public IstioDuration? Time { get; init; }

    public IstioDuration? Interval { get; init; }
}

/// <summary><c>connectionPool.http</c>.</summary>
public sealed record HttpSettings
{
    public int? Http1MaxPendingRequests { get; init; }

    public int? Http2MaxRequests { get; init; }

    public int? MaxRequestsPerConnection { get; init; }

    public int? MaxRetries { get; init; }

    public IstioDuration? IdleTimeout { get; init; }

    /// <summary>DEFAULT, DO_NOT_UPGRADE or UPGRADE.</summary>
    public string? H2UpgradePolicy { get; init; }

    public bool? UseClientProtocol { get; init; }

    public int? MaxConcurrentStreams { get; init; }
}

/// <summary>Istio's <c>OutlierDetection</c>.</summary>
public sealed record OutlierDetection
{
    public bool SplitExternalLocalOriginErrors { get; init; }

    public uint? ConsecutiveLocalOriginFailures { get; init; }

    public uint? ConsecutiveGatewayErrors { get; init; }

    public uint? Consecutive5xxErrors { get; init; }

    /// <summary>The deprecated <c>consecutiveErrors</c>.</summary>
    public int? ConsecutiveErrors { get; init; }

    public IstioDuration? Interval { get; init; }

    public IstioDuration? BaseEjectionTime { get; init; }

    public int? MaxEjectionPercent { get; init; }

    public int? MinHealthPercent { get; init; }
}

/// <summary>Istio's <c>ClientTLSSettings</c> (TLS origination toward the destination).</summary>
public sealed record ClientTlsSettings
{
    /// <summary>DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL.</summary>
    public string Mode { get; init; } = "DISABLE";

    public string? ClientCertificate { get; init; }

    public string? PrivateKey { get; init; }

    public string? CaCertificates { get; init; }

    public string? CredentialName { get; init; }

    /// <summary>Null when absent (Istio then uses the service's accounts for ISTIO_MUTUAL).</summary>
    public IReadOnlyList<string>? SubjectAltNames { get; init; }

    public string? Sni { get; init; }

    public bool? InsecureSkipVerify { get; init; }

    public string? CaCrl { get; init; }
}

/// <summary>
/// Istio's <c>LocalityLoadBalancerSetting</c> (in a DestinationRule's load balancer or the mesh config):
/// <c>distribute</c> weights per locality, or failover order by <c>failover</c> regions and <c>failoverPriority</c> labels.
/// </summary>
public sealed record LocalityLbSetting
{
    public bool? Enabled { get; init; }

    public IReadOnlyList<LocalityDistribute> Distribute { get; init; } = [];

    public IReadOnlyList<LocalityFailover> Failover { get; init; } = [];

    /// <summary>Label names (or <c>name=value</c>) compared between the proxy and each endpoint, most significant first.</summary>
    public IReadOnlyList<string> FailoverPriority { get; init; } = [];
}

/// <summary>A <c>distribute</c> entry: for proxies in <c>from</c>, the percentage of traffic each <c>to</c> locality gets.</summary>
public sealed record LocalityDistribute(string From, IReadOnlyList<KeyValuePair<string, long>> To);

/// <summary>A <c>failover</c> entry: proxies in region <c>from</c> fail over to region <c>to</c> first.</summary>
public sealed record LocalityFailover(string From, string To);
