using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using Sidecar.Xds.Translation;
using EnvoyHttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Sidecar.Xds.Tests;

/// <summary>istiod's clusters (and EDS assignments) read into the model: discovery, balancing, breakers, TLS, service.</summary>
public sealed class ClusterTranslatorTests
{
    private const string Name = "outbound|9080|v1|reviews.default.svc.cluster.local";

    [Fact]
    public void Auto_mtls_is_istiods_tlsMode_istio_socket_match_with_the_workload_certificate_and_the_services_sans()
    {
        var cluster = Eds();
        var istioMutual = new UpstreamTlsContext
        {
            Sni = "outbound_.9080_.v1_.reviews.default.svc.cluster.local",
            CommonTlsContext = new CommonTlsContext
            {
                AlpnProtocols = { "istio-peer-exchange", "istio" },
                TlsCertificateSdsSecretConfigs = { new SdsSecretConfig { Name = "default" } },
                CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
                {
                    DefaultValidationContext = new CertificateValidationContext
                    {
                        MatchTypedSubjectAltNames =
                        {
                            new SubjectAltNameMatcher { SanType = SubjectAltNameMatcher.Types.SanType.Uri, Matcher = new Envoy.Type.Matcher.V3.StringMatcher { Exact = "spiffe://cluster.local/ns/default/sa/bookinfo-reviews" } },
                        },
                    },
                    ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = "ROOTCA" },
                },
            },
        };
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-istio",
            Match = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } },
            TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(istioMutual) },
        });
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch { Name = "tlsMode-disabled", Match = new Struct(), TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.raw_buffer" } });

        var config = Translate(cluster, Assignment("10.0.0.7", tlsMode: true), out var errors);

        Assert.False(errors.Any);
        Assert.Null(config.Tls);
        Assert.True(config.AutoMtls);
        var tls = config.AutoMtlsSettings!;
        Assert.Equal(UpstreamTlsMode.IstioMutual, tls.Mode);
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/bookinfo-reviews"], tls.SubjectAltNames);
        Assert.Equal("outbound_.9080_.v1_.reviews.default.svc.cluster.local", tls.Sni);
        // The endpoint's tlsMode metadata is the label auto mTLS reads.
        Assert.True(Assert.Single(config.Endpoints).IsIstioMtlsCapable);
    }

    [Fact]
    public void Istiods_upstream_proxy_protocol_socket_wraps_each_transport_socket_match_and_is_unwrapped()
    {
        // istiod's applyUpstreamProxyProtocol (DestinationRule trafficPolicy.proxyProtocol: {version: V2}) wraps the
        // tlsMode-istio TLS socket and the tlsMode-disabled raw_buffer one in envoy.transport_sockets.upstream_proxy_protocol.
        var cluster = Eds();
        var istioMutual = new UpstreamTlsContext
        {
            Sni = "outbound_.9080_.v1_.reviews.default.svc.cluster.local",
            CommonTlsContext = new CommonTlsContext { TlsCertificateSdsSecretConfigs = { new SdsSecretConfig { Name = "default" } } },
        };
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-istio",
            Match = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } },
            TransportSocket = ProxyProtocol(ProxyProtocolConfig.Types.Version.V2, new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(istioMutual) }),
        });
        cluster.TransportSocketMatches.Add(new Cluster.Types.TransportSocketMatch
        {
            Name = "tlsMode-disabled",
            Match = new Struct(),
            TransportSocket = ProxyProtocol(ProxyProtocolConfig.Types.Version.V2, new TransportSocket { Name = "envoy.transport_sockets.raw_buffer" }),
        });

        var config = Translate(cluster, Assignment("10.0.0.7", tlsMode: true), out var errors);

        Assert.False(errors.Any);
        Assert.Equal(ProxyProtocolVersion.V2, config.ProxyProtocol);
        Assert.True(config.AutoMtls);
        Assert.Equal(UpstreamTlsMode.IstioMutual, config.AutoMtlsSettings!.Mode);
    }

    [Fact]
    public void An_upstream_proxy_protocol_socket_around_raw_buffer_or_tls_is_read_with_what_it_wraps()
    {
        // Version 1 is the enum's zero: istiod's `proxyProtocol: {}` sends a config without it.
        var plain = Eds();
        plain.TransportSocket = ProxyProtocol(ProxyProtocolConfig.Types.Version.V1, new TransportSocket { Name = "envoy.transport_sockets.raw_buffer" });
        var config = Translate(plain, Assignment("10.0.0.7"), out var errors);
        Assert.False(errors.Any);
        Assert.Equal(ProxyProtocolVersion.V1, config.ProxyProtocol);
        Assert.Null(config.Tls);

        var simple = Eds();
        simple.TransportSocket = ProxyProtocol(ProxyProtocolConfig.Types.Version.V2, new TransportSocket
        {
            Name = "envoy.transport_sockets.tls",
            TypedConfig = Any.Pack(new UpstreamTlsContext { Sni = "reviews.example.com", CommonTlsContext = new CommonTlsContext() }),
        });
        config = Translate(simple, Assignment("10.0.0.7"), out errors);
        Assert.False(errors.Any);
        Assert.Equal(ProxyProtocolVersion.V2, config.ProxyProtocol);
        Assert.Equal(UpstreamTlsMode.Simple, config.Tls!.Mode);
        Assert.Equal("reviews.example.com", config.Tls.Sni);

        // Without the wrapper there is no header.
        Assert.Null(Translate(Eds(), Assignment("10.0.0.7"), out _).ProxyProtocol);
    }

    [Fact]
    public void A_retry_budget_is_read_with_envoys_defaults_for_unset_fields()
    {
        var cluster = Eds();
        cluster.CircuitBreakers = new CircuitBreakers
        {
            Thresholds =
            {
                new CircuitBreakers.Types.Thresholds
                {
                    MaxRetries = uint.MaxValue,
                    RetryBudget = new CircuitBreakers.Types.Thresholds.Types.RetryBudget { BudgetPercent = new Envoy.Type.V3.Percent { Value = 0.2 }, MinRetryConcurrency = 5 },
                },
            },
        };
        Assert.Equal(new RetryBudgetConfig(0.2, 5), Translate(cluster, Assignment("10.0.0.7"), out _).CircuitBreakers.RetryBudget);

        // budget_percent defaults to 20%, min_retry_concurrency to 3.
        cluster.CircuitBreakers.Thresholds[0].RetryBudget = new CircuitBreakers.Types.Thresholds.Types.RetryBudget();
        Assert.Equal(new RetryBudgetConfig(20, 3), Translate(cluster, Assignment("10.0.0.7"), out _).CircuitBreakers.RetryBudget);
    }

    [Fact]
    public void Http2_max_concurrent_streams_is_read_from_the_explicit_http2_options()
    {
        var cluster = Eds();
        var options = new EnvoyHttpProtocolOptions
        {
            ExplicitHttpConfig = new EnvoyHttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions { MaxConcurrentStreams = 16 } },
        };
        cluster.TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = Any.Pack(options);

        var config = Translate(cluster, Assignment("10.0.0.7"), out var errors);

        Assert.False(errors.Any);
        Assert.Equal(UpstreamHttpProtocol.Http2, config.HttpProtocol);
        Assert.Equal(16, config.MaxConcurrentStreams);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_validation_contexts_crl_is_read_from_the_context_or_istiods_file_root_name(bool throughSds)
    {
        var validation = new CertificateValidationContext();
        if (!throughSds)
        {
            validation.Crl = new DataSource { Filename = "/etc/ca.crl" };
        }

        var cluster = Eds();
        cluster.TransportSocket = new TransportSocket
        {
            Name = "envoy.transport_sockets.tls",
            TypedConfig = Any.Pack(new UpstreamTlsContext
            {
                CommonTlsContext = new CommonTlsContext
                {
                    CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
                    {
                        DefaultValidationContext = validation,
                        ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = throughSds ? "file-root:/etc/ca.pem~/etc/ca.crl" : "file-root:/etc/ca.pem" },
                    },
                },
            }),
        };

        var tls = Translate(cluster, Assignment("10.0.0.7"), out var errors).Tls!;

        Assert.False(errors.Any);
        Assert.Equal("/etc/ca.pem", tls.CaCertificatesPath);
        Assert.Equal("/etc/ca.crl", tls.CaCrlPath);
    }

    [Fact]
    public void Slow_start_is_read_with_its_aggression_and_minimum_weight()
    {
        var cluster = Eds();
        cluster.LbPolicy = Cluster.Types.LbPolicy.RoundRobin;
        cluster.RoundRobinLbConfig = new Cluster.Types.RoundRobinLbConfig
        {
            SlowStartConfig = new Cluster.Types.SlowStartConfig
            {
                SlowStartWindow = Duration.FromTimeSpan(TimeSpan.FromSeconds(90)),
                Aggression = new RuntimeDouble { DefaultValue = 2, RuntimeKey = "(" },
                MinWeightPercent = new Envoy.Type.V3.Percent { Value = 25 },
            },
        };

        var config = Translate(cluster, Assignment("10.0.0.7"), out _);

        Assert.Equal((TimeSpan.FromSeconds(90), 2.0, 25.0), (config.SlowStartWindow, config.SlowStartAggression, config.SlowStartMinWeightPercent));
    }

    private static TransportSocket ProxyProtocol(ProxyProtocolConfig.Types.Version version, TransportSocket inner) => new()
    {
        Name = "envoy.transport_sockets.upstream_proxy_protocol",
        TypedConfig = Any.Pack(new Envoy.Extensions.TransportSockets.ProxyProtocol.V3.ProxyProtocolUpstreamTransport
        {
            Config = new ProxyProtocolConfig { Version = version },
            TransportSocket = inner,
        }),
    };

    [Fact]
    public void Envoy_defaults_apply_where_istiod_leaves_a_field_unset()
    {
        var cluster = new Cluster { Name = "outbound|80||example.com", Type = Cluster.Types.DiscoveryType.StrictDns, LoadAssignment = Assignment("example.com") };

        var config = Translate(cluster, null, out _);

        // Envoy's circuit breaker defaults (1024 connections, pending, requests; 3 retries), 5 s connect timeout, HTTP/1.1 upstream.
        Assert.Equal(1024, config.CircuitBreakers.MaxConnections);
        Assert.Equal(3, config.CircuitBreakers.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(5), config.ConnectTimeout);
        Assert.Equal(UpstreamHttpProtocol.Http1, config.HttpProtocol);
        Assert.Equal(ClusterDiscoveryType.StrictDns, config.Type);
        Assert.Equal("example.com", Assert.Single(config.Endpoints).Address);
        // No istio metadata: the service is read from the cluster's Istio name.
        Assert.Equal(new ServiceMetadata("example.com", "example", "com", 80), config.Service);
    }

    [Fact]
    public void Outlier_detection_counts_only_the_checks_istiod_enforces()
    {
        var cluster = Eds();
        cluster.OutlierDetection = new OutlierDetection
        {
            Consecutive5Xx = 0,
            EnforcingConsecutive5Xx = 0,
            ConsecutiveGatewayFailure = 3,
            EnforcingConsecutiveGatewayFailure = 100,
            Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)),
            BaseEjectionTime = Duration.FromTimeSpan(TimeSpan.FromMinutes(3)),
            MaxEjectionPercent = 100,
        };

        var outlier = Translate(cluster, Assignment("10.0.0.7"), out _).OutlierDetection!;

        Assert.Null(outlier.Consecutive5xx);
        Assert.Equal(3, outlier.ConsecutiveGatewayErrors);
        Assert.Equal(TimeSpan.FromMinutes(3), outlier.BaseEjectionTime);
        Assert.Equal(100, outlier.MaxEjectionPercent);
    }

    [Fact]
    public void Protocol_options_give_the_upstream_protocol_and_connection_limits()
    {
        var cluster = Eds();
        cluster.TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = Any.Pack(new EnvoyHttpProtocolOptions
        {
            CommonHttpProtocolOptions = new HttpProtocolOptions { IdleTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)), MaxRequestsPerConnection = 1 },
            ExplicitHttpConfig = new EnvoyHttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() },
        });
        cluster.UpstreamBindConfig = new BindConfig { SourceAddress = new SocketAddress { Address = "127.0.0.6" } };

        var config = Translate(cluster, Assignment("10.0.0.7"), out _);

        Assert.Equal(UpstreamHttpProtocol.Http2, config.HttpProtocol);
        Assert.Equal(TimeSpan.FromSeconds(30), config.IdleTimeout);
        Assert.Equal(1, config.MaxRequestsPerConnection);
        Assert.Equal("127.0.0.6", config.UpstreamBindAddress);
    }

    [Fact]
    public void A_pipe_endpoint_is_a_unix_socket_endpoint()
    {
        // What istiod sends for a ServiceEntry's `unix:///path` endpoint or a Sidecar ingress's unix defaultEndpoint.
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = Name,
            Endpoints = { new LocalityLbEndpoints { LbEndpoints = { new LbEndpoint { Endpoint = new Endpoint { Address = new Address { Pipe = new Pipe { Path = "/var/run/example/socket" } } } } } } },
        };

        var endpoint = Assert.Single(Translate(Eds(), assignment, out var errors).Endpoints);

        Assert.False(errors.Any);
        Assert.Equal("unix:///var/run/example/socket", endpoint.Address);
        Assert.Equal("/var/run/example/socket", endpoint.UnixSocketPath);
    }

    [Fact]
    public void The_service_and_DestinationRule_come_from_istiods_metadata()
    {
        var config = Translate(Eds(), Assignment("10.0.0.7"), out _);

        Assert.Equal(new ServiceMetadata("reviews.default.svc.cluster.local", "reviews", "default", 9080, "v1"), config.Service);
        Assert.Equal("DestinationRule default/reviews", config.Origin);
        Assert.Equal(ClusterDiscoveryType.Eds, config.Type);
    }

    private static ClusterConfig Translate(Cluster cluster, ClusterLoadAssignment? assignment, out TranslationErrors errors)
    {
        errors = new TranslationErrors();
        return ClusterTranslator.Translate(cluster, assignment, errors);
    }

    private static Cluster Eds() => new()
    {
        Name = Name,
        Type = Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Cluster.Types.EdsClusterConfig { ServiceName = Name },
        Metadata = new Metadata
        {
            FilterMetadata =
            {
                ["istio"] = new Struct
                {
                    Fields =
                    {
                        ["config"] = Value.ForString("/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews"),
                        ["default_original_port"] = Value.ForNumber(9080),
                        ["services"] = Value.ForList(Value.ForStruct(new Struct { Fields = { ["host"] = Value.ForString("reviews.default.svc.cluster.local"), ["name"] = Value.ForString("reviews"), ["namespace"] = Value.ForString("default") } })),
                    },
                },
            },
        },
    };

    private static ClusterLoadAssignment Assignment(string address, bool tlsMode = false)
    {
        var endpoint = new LbEndpoint { Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = address, PortValue = 9080 } } } };
        if (tlsMode)
        {
            endpoint.Metadata = new Metadata { FilterMetadata = { ["envoy.transport_socket_match"] = new Struct { Fields = { ["tlsMode"] = Value.ForString("istio") } } } };
        }

        return new ClusterLoadAssignment { ClusterName = Name, Endpoints = { new LocalityLbEndpoints { LbEndpoints = { endpoint } } } };
    }
}
