using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Rbac.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using Sidecar.Xds.Client;
using Sidecar.Xds.Translation;
using EnvoyDirection = Envoy.Config.Core.V3.TrafficDirection;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using TrafficDirection = Sidecar.Model.TrafficDirection;

namespace Sidecar.Xds.Tests;

/// <summary>istiod's listeners read into the model: capture and per-port listeners, inbound mTLS chains, policies.</summary>
public sealed class ListenerTranslatorTests
{
    [Fact]
    public void The_inbound_mtls_chain_terminates_TLS_routes_by_its_inline_table_and_carries_the_policies()
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = "inbound_0.0.0.0_9080",
            RouteConfig = new Envoy.Config.Route.V3.RouteConfiguration { Name = "inbound|9080||", VirtualHosts = { new Envoy.Config.Route.V3.VirtualHost { Name = "inbound|http|9080", Domains = { "*" } } } },
            ForwardClientCertDetails = HttpConnectionManager.Types.ForwardClientCertDetails.AppendForward,
            HttpFilters =
            {
                new HttpFilter { Name = "istio.metadata_exchange" },
                new HttpFilter
                {
                    Name = "envoy.filters.http.rbac",
                    TypedConfig = Any.Pack(new HttpRbac
                    {
                        Rules = new RBAC
                        {
                            Action = RBAC.Types.Action.Deny,
                            Policies = { ["ns[default]-policy[deny-delete]-rule[0]"] = new Policy { Principals = { new Principal { Any = true } }, Permissions = { new Permission { Header = new Envoy.Config.Route.V3.HeaderMatcher { Name = ":method", ExactMatch = "DELETE" } } } } },
                        },
                    }),
                },
                new HttpFilter { Name = "envoy.filters.http.router" },
            },
        };
        var tls = new DownstreamTlsContext
        {
            RequireClientCertificate = true,
            CommonTlsContext = new CommonTlsContext
            {
                AlpnProtocols = { "h2", "http/1.1" },
                TlsCertificateSdsSecretConfigs = { new SdsSecretConfig { Name = "default" } },
                CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
                {
                    DefaultValidationContext = new CertificateValidationContext { MatchSubjectAltNames = { new Envoy.Type.Matcher.V3.StringMatcher { Prefix = "spiffe://cluster.local/" } } },
                },
            },
        };
        var listener = new Listener
        {
            Name = "virtualInbound",
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 15006 } },
            TrafficDirection = EnvoyDirection.Inbound,
            FilterChains =
            {
                new FilterChain
                {
                    Name = "0.0.0.0_9080",
                    FilterChainMatch = new FilterChainMatch { DestinationPort = 9080, TransportProtocol = "tls", ApplicationProtocols = { "istio-peer-exchange", "istio-http/1.1" } },
                    TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(tls) },
                    Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) } },
                },
            },
        };

        var parts = new SnapshotParts();
        var errors = new TranslationErrors();
        var config = ListenerTranslator.Translate(listener, parts, errors)!;

        Assert.False(errors.Any);
        Assert.Equal(TrafficDirection.Inbound, config.Direction);
        Assert.False(config.BindToPort);
        var chain = Assert.Single(config.FilterChains);
        Assert.Equal(9080, chain.Match.DestinationPort);
        Assert.Equal("tls", chain.Match.TransportProtocol);
        Assert.Equal(new DownstreamTlsConfig { RequireClientCertificate = true, Alpn = ["h2", "http/1.1"], PeerSanPrefixes = ["spiffe://cluster.local/"] }, chain.Tls);
        Assert.Equal("inbound|9080||", chain.Http!.RouteTableName);
        Assert.True(chain.Http.ForwardClientCertDetails);
        Assert.Equal("inbound|9080||", Assert.Single(parts.InlineRouteTables).Name);
        var policy = Assert.Single(parts.HttpPolicies.Values);
        Assert.Equal(("default/deny-delete", AuthorizationAction.Deny), (policy.Name, policy.Action));
    }

    [Fact]
    public void The_grpc_web_filter_istiod_adds_for_a_grpc_web_port_is_run_and_not_warned_about()
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = "outbound_0.0.0.0_8080",
            Rds = new Rds { RouteConfigName = "8080" },
            HttpFilters =
            {
                new HttpFilter { Name = "istio.metadata_exchange" },
                new HttpFilter { Name = "envoy.filters.http.grpc_web" },
                new HttpFilter { Name = "envoy.filters.http.grpc_stats" },
                new HttpFilter { Name = "envoy.filters.http.router" },
            },
        };
        var listener = new Listener
        {
            Name = "0.0.0.0_8080",
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 8080 } },
            TrafficDirection = EnvoyDirection.Outbound,
            FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) } } } },
        };
        var errors = new TranslationErrors();

        var config = ListenerTranslator.Translate(listener, new SnapshotParts(), errors)!;

        Assert.True(Assert.Single(config.FilterChains).Http!.GrpcWeb);
        Assert.Empty(errors.Warnings);
        Assert.False(errors.Any);
    }

    [Fact]
    public void A_filter_this_sidecar_cannot_run_refuses_the_listener_rather_than_skipping_the_check()
    {
        // A CUSTOM AuthorizationPolicy's external authorization check.
        var manager = new HttpConnectionManager { Rds = new Rds { RouteConfigName = "9080" }, HttpFilters = { new HttpFilter { Name = "envoy.filters.http.ext_authz", TypedConfig = Any.Pack(new Empty()) } } };
        var listener = new Listener
        {
            Name = "virtualInbound",
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 15006 } },
            TrafficDirection = EnvoyDirection.Inbound,
            FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) } } } },
        };

        var errors = new TranslationErrors();
        ListenerTranslator.Translate(listener, new SnapshotParts(), errors);

        var error = Assert.Single(errors.All);
        Assert.Equal("Listener virtualInbound", error.Resource);
        Assert.Equal("filter_chains[0].filters[0].http_filters[0]", error.Field);
    }

    [Fact]
    public void A_tcp_port_listener_splits_by_weight_and_a_chain_matching_on_the_source_is_left_out_with_a_warning()
    {
        var listener = new Listener
        {
            Name = "10.96.0.20_3306",
            Address = new Address { SocketAddress = new SocketAddress { Address = "10.96.0.20", PortValue = 3306 } },
            BindToPort = false,
            TrafficDirection = EnvoyDirection.Outbound,
            FilterChains =
            {
                new FilterChain { FilterChainMatch = new FilterChainMatch { SourcePrefixRanges = { new CidrRange { AddressPrefix = "10.0.0.0", PrefixLen = 8 } } } },
                new FilterChain
                {
                    Filters =
                    {
                        new Filter
                        {
                            Name = "envoy.filters.network.tcp_proxy",
                            TypedConfig = Any.Pack(new TcpProxy
                            {
                                StatPrefix = "mysql",
                                WeightedClusters = new TcpProxy.Types.WeightedCluster
                                {
                                    Clusters =
                                    {
                                        new TcpProxy.Types.WeightedCluster.Types.ClusterWeight { Name = "outbound|3306|a|mysql.default.svc.cluster.local", Weight = 90 },
                                        new TcpProxy.Types.WeightedCluster.Types.ClusterWeight { Name = "outbound|3306|b|mysql.default.svc.cluster.local", Weight = 10 },
                                    },
                                },
                            }),
                        },
                    },
                },
            },
        };

        var errors = new TranslationErrors();
        var config = ListenerTranslator.Translate(listener, new SnapshotParts(), errors)!;

        Assert.False(errors.Any);
        Assert.Single(errors.Warnings);
        Assert.Equal(("10.96.0.20", 3306, false), (config.Address, config.Port, config.BindToPort));
        Assert.Equal([90, 10], Assert.Single(config.FilterChains).Tcp!.Clusters.Select(c => c.Weight));
    }

    [Fact]
    public void A_tcp_proxys_tunneling_config_is_read_as_istiod_writes_it_for_a_tunnel()
    {
        var listener = TcpListener(new TcpProxy
        {
            StatPrefix = "outbound|3306||forward-proxy.example.com",
            Cluster = "outbound|3306||forward-proxy.example.com",
            TunnelingConfig = new TcpProxy.Types.TunnelingConfig { Hostname = "db.example.com:3306", UsePost = true },
        });

        var errors = new TranslationErrors();
        var config = ListenerTranslator.Translate(listener, new SnapshotParts(), errors)!;

        Assert.False(errors.Any);
        Assert.Equal(new TcpTunnelingConfig("db.example.com:3306", UsePost: true, PostPath: "/"), Assert.Single(config.FilterChains).Tcp!.Tunneling);
    }

    [Fact]
    public void A_workload_with_tcp_chains_only_takes_its_access_log_from_tcp_proxy()
    {
        // istiod attaches the mesh's file access log to tcp_proxy too: with no connection manager, that is where it is.
        var tcp = new TcpProxy
        {
            StatPrefix = "outbound|3306||mysql.default.svc.cluster.local",
            Cluster = "outbound|3306||mysql.default.svc.cluster.local",
            AccessLog =
            {
                new Envoy.Config.Accesslog.V3.AccessLog
                {
                    Name = "envoy.access_loggers.file",
                    TypedConfig = Any.Pack(new Envoy.Extensions.AccessLoggers.File.V3.FileAccessLog { Path = "/dev/stdout" }),
                },
            },
        };
        var listener = TcpListener(tcp);
        var resources = XdsResources.Empty with
        {
            Listeners = new Dictionary<string, Listener> { [listener.Name] = listener },
            HasClusters = true,
            HasListeners = true,
        };
        var options = new XdsOptions { Address = new Uri("http://istiod:15010"), Workload = WorkloadInfo.Default };

        var errors = new TranslationErrors();
        var config = XdsSnapshotBuilder.Build(resources, options, "1", DateTimeOffset.UnixEpoch, errors);

        Assert.False(errors.Any);
        Assert.Equal("/dev/stdout", config.Mesh.Telemetry.AccessLogFile);
    }

    [Fact]
    public void The_snapshot_reads_the_outbound_traffic_policy_from_the_capture_listeners_catch_all()
    {
        var outbound = new Listener
        {
            Name = "virtualOutbound",
            UseOriginalDst = true,
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 15001 } },
            DefaultFilterChain = new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(new TcpProxy { StatPrefix = "BlackHoleCluster", Cluster = "BlackHoleCluster" }) } } },
        };
        var resources = XdsResources.Empty with
        {
            Listeners = new Dictionary<string, Listener> { [outbound.Name] = outbound },
            HasClusters = true,
            HasListeners = true,
        };
        var options = new XdsOptions { Address = new Uri("http://istiod:15010"), Workload = WorkloadInfo.Default };

        var errors = new TranslationErrors();
        var config = XdsSnapshotBuilder.Build(resources, options, "1", DateTimeOffset.UnixEpoch, errors);

        Assert.False(errors.Any);
        Assert.True(resources.IsComplete);
        Assert.Equal(OutboundTrafficPolicy.RegistryOnly, config.Mesh.OutboundTrafficPolicy);
        Assert.Equal("xds", config.Origin.Kind);
        Assert.False(Assert.Single(config.Listeners).BindToPort);
    }

    /// <summary>An outbound listener of istiod's for a TCP service port, its one chain <paramref name="tcp"/>.</summary>
    private static Listener TcpListener(TcpProxy tcp) => new()
    {
        Name = "10.96.0.20_3306",
        Address = new Address { SocketAddress = new SocketAddress { Address = "10.96.0.20", PortValue = 3306 } },
        BindToPort = false,
        TrafficDirection = EnvoyDirection.Outbound,
        FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.tcp_proxy", TypedConfig = Any.Pack(tcp) } } } },
    };
}
