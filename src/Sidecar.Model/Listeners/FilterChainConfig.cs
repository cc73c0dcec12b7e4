namespace Sidecar.Model;

/// <summary>
/// An Envoy <c>FilterChain</c>: a match on what the listener filters found (transport, ALPN, SNI, port) and exactly
/// one terminal: an HTTP connection manager or a TCP proxy.
/// </summary>
public sealed record FilterChainConfig
{
    public required string Name { get; init; }

    public FilterChainMatchConfig Match { get; init; } = FilterChainMatchConfig.Any;

    /// <summary>Terminate TLS on this chain (inbound mTLS); null leaves the bytes as they came.</summary>
    public DownstreamTlsConfig? Tls { get; init; }

    public HttpConnectionManagerConfig? Http { get; init; }

    public TcpProxyConfig? Tcp { get; init; }

    /// <summary>
    /// No chain: a connection that selects this one is closed as Envoy closes one no filter chain takes (response
    /// flag NR, <c>filter_chain_not_found</c>). It stands where Envoy's match, narrowed by destination port first,
    /// finds nothing, so that a less specific chain does not take the connection.
    /// </summary>
    public bool NotFound { get; init; }
}

/// <summary>Envoy's <c>FilterChainMatch</c>; an empty field matches anything.</summary>
public sealed record FilterChainMatchConfig
{
    public static readonly FilterChainMatchConfig Any = new();

    public int? DestinationPort { get; init; }

    /// <summary>SNI names (exact or <c>*.suffix</c>), from the TLS inspector.</summary>
    public EquatableArray<string> ServerNames { get; init; }

    /// <summary><c>tls</c> or <c>raw_buffer</c>; null matches both.</summary>
    public string? TransportProtocol { get; init; }

    /// <summary>ALPN values (from TLS) or <c>http/1.1</c>/<c>h2c</c> (from the HTTP inspector).</summary>
    public EquatableArray<string> ApplicationProtocols { get; init; }

    /// <summary>Destination CIDRs (<c>10.0.0.0/8</c>); empty matches any.</summary>
    public EquatableArray<string> PrefixRanges { get; init; }
}

/// <summary>The HTTP terminal of a filter chain (Envoy's HTTP connection manager).</summary>
public sealed record HttpConnectionManagerConfig
{
    /// <summary>The route table requests are looked up in (Envoy's <c>rds.route_config_name</c>).</summary>
    public required string RouteTableName { get; init; }

    public string StatPrefix { get; init; } = "";

    /// <summary>Envoy's <c>stream_idle_timeout</c>: zero (off) as istiod sets it on every connection manager of a
    /// sidecar; an xDS push may say otherwise (Envoy's own default is 5 min). The data plane sets no stream idle timeout.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Set <c>x-forwarded-client-cert</c> from the peer certificate (Istio's APPEND_FORWARD, inbound).</summary>
    public bool ForwardClientCertDetails { get; init; }

    /// <summary>
    /// Envoy's <c>grpc_web</c> filter, which istiod adds for a <c>grpc-web</c> port: gRPC-Web requests go upstream as
    /// gRPC and their responses come back as gRPC-Web.
    /// </summary>
    public bool GrpcWeb { get; init; }
}

/// <summary>The TCP terminal of a filter chain (Envoy's <c>tcp_proxy</c>).</summary>
public sealed record TcpProxyConfig
{
    public string StatPrefix { get; init; } = "";

    /// <summary>One cluster, or a weighted split (Istio's <c>tcp</c>/<c>tls</c> routes).</summary>
    public EquatableArray<WeightedClusterConfig> Clusters { get; init; }

    /// <summary>Envoy's tcp_proxy <c>idle_timeout</c> (1 h by default; Istio's <c>tcp.idleTimeout</c>).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The stream goes inside an HTTP request to the cluster (Istio's <c>tunnel</c>); null: as it is.</summary>
    public TcpTunnelingConfig? Tunneling { get; init; }
}

/// <summary>TLS termination on a filter chain (Envoy's <c>DownstreamTlsContext</c>): Istio's inbound mTLS.</summary>
public sealed record DownstreamTlsConfig
{
    /// <summary>Demand a client certificate (mTLS).</summary>
    public bool RequireClientCertificate { get; init; } = true;

    /// <summary>ALPN values the server accepts.</summary>
    public EquatableArray<string> Alpn { get; init; }

    /// <summary>
    /// Accepted peer SAN prefixes (Istio: <c>spiffe://cluster.local/</c>, one per trust domain and alias); empty
    /// accepts any trusted peer.
    /// </summary>
    public EquatableArray<string> PeerSanPrefixes { get; init; }
}
