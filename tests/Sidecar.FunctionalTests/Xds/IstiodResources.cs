using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Istio.Networking.Nds.V1;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Xds;

/// <summary>Resources shaped as istiod generates them for a sidecar (names, metadata, defaults), for the fake control plane.</summary>
internal static class IstiodResources
{
    public const string Reviews = "reviews.default.svc.cluster.local";

    /// <summary>An EDS cluster <c>outbound|9080|subset|host</c> with istiod's metadata and unlimited circuit breakers.</summary>
    public static Cluster EdsCluster(string name, string host, int port, string? subset = null)
    {
        var istio = new Struct();
        istio.Fields["default_original_port"] = Value.ForNumber(port);
        istio.Fields["services"] = Value.ForList(Value.ForStruct(new Struct
        {
            Fields = { ["host"] = Value.ForString(host), ["name"] = Value.ForString(host.Split('.')[0]), ["namespace"] = Value.ForString("default") },
        }));
        if (subset is not null)
        {
            istio.Fields["config"] = Value.ForString($"/apis/networking.istio.io/v1/namespaces/default/destination-rule/{host.Split('.')[0]}");
        }

        return new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Cluster.Types.EdsClusterConfig { ServiceName = name },
            ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            LbPolicy = Cluster.Types.LbPolicy.LeastRequest,
            CircuitBreakers = new CircuitBreakers
            {
                Thresholds = { new CircuitBreakers.Types.Thresholds { MaxConnections = uint.MaxValue, MaxPendingRequests = uint.MaxValue, MaxRequests = uint.MaxValue, MaxRetries = uint.MaxValue, TrackRemaining = true } },
            },
            Metadata = new Metadata { FilterMetadata = { ["istio"] = istio } },
        };
    }

    public static ClusterLoadAssignment Endpoints(string cluster, params TestBackend[] backends) =>
        Endpoints(cluster, backends.Select(b => b.EndPoint).ToArray());

    public static ClusterLoadAssignment Endpoints(string cluster, params System.Net.IPEndPoint[] endpoints) => new()
    {
        ClusterName = cluster,
        Endpoints =
        {
            new LocalityLbEndpoints
            {
                LbEndpoints =
                {
                    endpoints.Select(e => new LbEndpoint
                    {
                        Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = e.Address.ToString(), PortValue = (uint)e.Port } } },
                        HealthStatus = HealthStatus.Healthy,
                        LoadBalancingWeight = 1,
                    }),
                },
            },
        },
    };

    public static Cluster Passthrough() => new()
    {
        Name = "PassthroughCluster",
        Type = Cluster.Types.DiscoveryType.OriginalDst,
        LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
        ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
    };

    /// <summary>istiod's <c>virtualOutbound</c>: original destination hand-off, unknown destinations passed through.</summary>
    public static Listener VirtualOutbound() => new()
    {
        Name = "virtualOutbound",
        Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 15001 } },
        UseOriginalDst = true,
        TrafficDirection = TrafficDirection.Outbound,
        DefaultFilterChain = new FilterChain
        {
            Name = "PassthroughFilterChain",
            Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "PassthroughCluster", Cluster = "PassthroughCluster" }) } },
        },
    };

    /// <summary>istiod's per-port listener <c>0.0.0.0_9080</c>: HTTP (sniffed) to RDS table "9080", the rest passed through.</summary>
    /// <param name="accessLogFormat">The file access log's text format (istiod's from the mesh's accessLogFile and accessLogFormat); null: none.</param>
    /// <param name="otherLog">Another access log of the connection manager (istiod's for a Telemetry provider); null: none.</param>
    public static Listener HttpPort(int port, string? accessLogFormat = null, Envoy.Config.Accesslog.V3.AccessLog? otherLog = null) => new()
    {
        Name = $"0.0.0.0_{port}",
        Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = (uint)port } },
        BindToPort = false,
        TrafficDirection = TrafficDirection.Outbound,
        FilterChains =
        {
            new FilterChain
            {
                FilterChainMatch = new FilterChainMatch { ApplicationProtocols = { "http/1.1", "h2c" } },
                Filters =
                {
                    new Filter
                    {
                        Name = "envoy.filters.network.http_connection_manager",
                        TypedConfig = Any.Pack(new HttpConnectionManager
                        {
                            StatPrefix = $"outbound_0.0.0.0_{port}",
                            Rds = new Rds { RouteConfigName = port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                            HttpFilters =
                            {
                                new HttpFilter { Name = "istio.metadata_exchange" },
                                new HttpFilter { Name = "envoy.filters.http.fault", TypedConfig = Any.Pack(new HTTPFault()) },
                                new HttpFilter { Name = "envoy.filters.http.router" },
                            },
                            AccessLog =
                            {
                                accessLogFormat is null ? [] : [new Envoy.Config.Accesslog.V3.AccessLog
                                {
                                    Name = "envoy.access_loggers.file",
                                    TypedConfig = Any.Pack(new Envoy.Extensions.AccessLoggers.File.V3.FileAccessLog
                                    {
                                        Path = "/dev/stdout",
                                        LogFormat = new SubstitutionFormatString { TextFormatSource = new DataSource { InlineString = accessLogFormat + "\n" } },
                                    }),
                                }],
                                otherLog is null ? [] : [otherLog],
                            },
                            StreamIdleTimeout = Duration.FromTimeSpan(TimeSpan.Zero),
                            UseRemoteAddress = false,
                            NormalizePath = true,
                            PathWithEscapedSlashesAction = HttpConnectionManager.Types.PathWithEscapedSlashesAction.KeepUnchanged,
                        }),
                    },
                },
            },
        },
        DefaultFilterChain = new FilterChain
        {
            Name = "PassthroughFilterChain",
            Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "PassthroughCluster", Cluster = "PassthroughCluster" }) } },
        },
    };

    /// <summary>Istio's inbound cluster <c>inbound|port||</c>: the connection's original destination, from 127.0.0.6 (Istio 1.10+).</summary>
    public static Cluster InboundCluster(int port) => new()
    {
        Name = $"inbound|{port}||",
        Type = Cluster.Types.DiscoveryType.OriginalDst,
        LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
        ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
        UpstreamBindConfig = new BindConfig { SourceAddress = new SocketAddress { Address = "127.0.0.6", PortValue = 0 } },
    };

    /// <summary>
    /// istiod's <c>virtualInbound</c> for one plaintext HTTP port: the port's chain (HTTP sniffed on raw_buffer) to an inline
    /// <c>inbound|port||</c> table, and the catch-all passthrough for other ports.
    /// </summary>
    /// <param name="httpFilters">Policy filters istiod puts before the router on the inbound connection manager (RBAC, ...).</param>
    public static Listener VirtualInbound(int port, params HttpFilter[] httpFilters) => new()
    {
        Name = "virtualInbound",
        Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 15006 } },
        TrafficDirection = TrafficDirection.Inbound,
        FilterChains =
        {
            // PERMISSIVE: Istio mTLS (client certificate required, peers of the trust domain), and plaintext.
            new FilterChain
            {
                Name = $"0.0.0.0_{port}",
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port, TransportProtocol = "tls", ApplicationProtocols = { "istio-peer-exchange", "istio", "istio-http/1.0", "istio-http/1.1", "istio-h2" } },
                TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(InboundTls()) },
                Filters = { InboundManager(port, httpFilters) },
            },
            new FilterChain
            {
                Name = $"0.0.0.0_{port}",
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port, TransportProtocol = "raw_buffer", ApplicationProtocols = { "http/1.1", "h2c" } },
                Filters = { InboundManager(port, httpFilters) },
            },
            new FilterChain
            {
                Name = "virtualInbound",
                FilterChainMatch = new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "0.0.0.0", PrefixLen = 0 } } },
                Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "InboundPassthroughCluster", Cluster = "InboundPassthroughCluster" }) } },
            },
        },
    };

    /// <summary>istiod's inbound connection manager for an HTTP port: an inline table to <c>inbound|port||</c>, XFCC appended.</summary>
    private static Filter InboundManager(int port, HttpFilter[] httpFilters) => new()
    {
        Name = "envoy.filters.network.http_connection_manager",
        TypedConfig = Any.Pack(new HttpConnectionManager
        {
            StatPrefix = $"inbound_0.0.0.0_{port}",
            RouteConfig = new RouteConfiguration
            {
                Name = $"inbound|{port}||",
                VirtualHosts =
                {
                    new VirtualHost { Name = $"inbound|http|{port}", Domains = { "*" }, Routes = { new Route { Name = "default", Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = $"inbound|{port}||", Timeout = Duration.FromTimeSpan(TimeSpan.Zero) } } } },
                },
                ValidateClusters = false,
            },
            HttpFilters = { httpFilters, new HttpFilter { Name = "envoy.filters.http.router" } },
            ForwardClientCertDetails = HttpConnectionManager.Types.ForwardClientCertDetails.AppendForward,
        }),
    };

    /// <summary>istiod's inbound DownstreamTlsContext: the workload certificate (SDS default), clients of the trust domain.</summary>
    private static Envoy.Extensions.TransportSockets.Tls.V3.DownstreamTlsContext InboundTls() => new()
    {
        RequireClientCertificate = true,
        CommonTlsContext = new Envoy.Extensions.TransportSockets.Tls.V3.CommonTlsContext
        {
            AlpnProtocols = { "h2", "http/1.1" },
            TlsCertificateSdsSecretConfigs = { new Envoy.Extensions.TransportSockets.Tls.V3.SdsSecretConfig { Name = "default" } },
            CombinedValidationContext = new Envoy.Extensions.TransportSockets.Tls.V3.CommonTlsContext.Types.CombinedCertificateValidationContext
            {
                DefaultValidationContext = new Envoy.Extensions.TransportSockets.Tls.V3.CertificateValidationContext { MatchSubjectAltNames = { new Envoy.Type.Matcher.V3.StringMatcher { Prefix = "spiffe://cluster.local/" } } },
                ValidationContextSdsSecretConfig = new Envoy.Extensions.TransportSockets.Tls.V3.SdsSecretConfig { Name = "ROOTCA" },
            },
        },
    };

    /// <summary>Auto mTLS as istiod writes it: ISTIO_MUTUAL for endpoints labelled tlsMode istio, plaintext for the rest.</summary>
    public static void AutoMtls(Cluster cluster, string sni, string peerSpiffeId)
    {
        var tls = new Envoy.Extensions.TransportSockets.Tls.V3.UpstreamTlsContext
        {
            Sni = sni,
            CommonTlsContext = new Envoy.Extensions.TransportSockets.Tls.V3.CommonTlsContext
            {
                AlpnProtocols = { "istio-peer-exchange", "istio" },
                TlsCertificateSdsSecretConfigs = { new Envoy.Extensions.TransportSockets.Tls.V3.SdsSecretConfig { Name = "default" } },
                CombinedValidationContext = new Envoy.Extensions.TransportSockets.Tls.V3.CommonTlsContext.Types.CombinedCertificateValidationContext
                {
                    DefaultValidationContext = new Envoy.Extensions.TransportSockets.Tls.V3.CertificateValidationContext
                    {
                        MatchTypedSubjectAltNames =
                        {
                            new Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher
                            {
                                SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType.Uri,
                                Matcher = new Envoy.Type.Matcher.V3.StringMatcher { Exact = peerSpiffeId },
                            },
                        },
                    },
                    ValidationContextSdsSecretConfig = new Envoy.Extensions.TransportSockets.Tls.V3.SdsSecretConfig { Name = "ROOTCA" },
                },
            },
        };
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-istio",
            Match = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } },
            TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(tls) },
        });
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch { Name = "tlsMode-disabled", Match = new Struct(), TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.raw_buffer" } });
    }

    /// <summary>Marks every endpoint of <paramref name="assignment"/> as running an Istio sidecar (auto mTLS's tlsMode metadata).</summary>
    public static ClusterLoadAssignment WithTlsMode(ClusterLoadAssignment assignment)
    {
        foreach (var endpoint in assignment.Endpoints.SelectMany(l => l.LbEndpoints))
        {
            endpoint.Metadata = new Metadata { FilterMetadata = { ["envoy.transport_socket_match"] = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } } } };
        }

        return assignment;
    }

    /// <summary>Route table "9080" with reviews' virtual host (istiod's domains) and the given routes.</summary>
    public static RouteConfiguration Table(string name, params Route[] routes) => new()
    {
        Name = name,
        VirtualHosts =
        {
            new VirtualHost
            {
                Name = $"{Reviews}:9080",
                Domains = { Reviews, "reviews", "reviews.default", "reviews.default.svc" },
                Routes = { routes },
                IncludeRequestAttemptCount = true,
            },
        },
        ValidateClusters = false,
        IgnorePortInHostMatching = true,
    };

    /// <summary>
    /// NDS's table as istiod's BuildNameTable writes a Kubernetes service's entry: host, cluster IP, registry
    /// "Kubernetes", the service's short name and namespace.
    /// </summary>
    public static NameTable NameTable(string host, params string[] ips) => new()
    {
        Table =
        {
            [host] = new NameTable.Types.NameInfo { Ips = { ips }, Registry = "Kubernetes", Shortname = host.Split('.')[0], Namespace = host.Split('.')[1] },
        },
    };

    /// <summary>A route as istiod writes one VirtualService http[] entry: istio.config metadata, 0s timeout, its retry policy.</summary>
    public static Route To(string cluster, RouteMatch? match = null, string? name = null) => new()
    {
        Name = name ?? "default",
        Match = match ?? new RouteMatch { Prefix = "/" },
        Route_ = new RouteAction
        {
            Cluster = cluster,
            Timeout = Duration.FromTimeSpan(TimeSpan.Zero),
            RetryPolicy = new RetryPolicy
            {
                RetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
                NumRetries = 2,
                RetriableStatusCodes = { 503 },
                HostSelectionRetryMaxAttempts = 5,
                RetryHostPredicate = { new RetryPolicy.Types.RetryHostPredicate { Name = "envoy.retry_host_predicates.previous_hosts" } },
            },
            MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = Duration.FromTimeSpan(TimeSpan.Zero), GrpcTimeoutHeaderMax = Duration.FromTimeSpan(TimeSpan.Zero) },
        },
        Metadata = new Metadata { FilterMetadata = { ["istio"] = new Struct { Fields = { ["config"] = Value.ForString("/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews") } } } },
        Decorator = new Decorator { Operation = $"{Reviews}:9080/*" },
    };

    public static RouteMatch Header(string name, string exact) => new()
    {
        Prefix = "/",
        Headers = { new HeaderMatcher { Name = name, StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { Exact = exact } } },
    };
}
