using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Clusters;

public sealed class OutboundClusterBuilderTests
{
    private const string Reviews = "reviews.default.svc.cluster.local";

    private static ProxyConfig WithRule(string rule) => Config(Bookinfo.All(Bookinfo.Services, rule));

    /// <summary>The cluster of <c>api.example.com:8080</c>, a port of <paramref name="protocol"/>, under a rule with <paramref name="trafficPolicy"/>.</summary>
    private static ClusterConfig ApiCluster(string protocol, string trafficPolicy) => Config($$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: default}
        spec:
          hosts: [api.example.com]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 8080, name: api, protocol: {{protocol}} }]
          endpoints: [{address: 10.0.0.9}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api, namespace: default}
        spec:
          host: api.example.com
          trafficPolicy: {{trafficPolicy}}
        """).Cluster("outbound|8080||api.example.com");

    [Fact]
    public void Builds_a_cluster_per_port_and_one_per_subset_with_filtered_endpoints()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules));

        var all = config.Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(["10.1.0.11:9080", "10.1.0.12:9080", "10.1.0.13:9080"], all.Endpoints.Select(e => e.ToString()));
        Assert.Equal(ClusterDiscoveryType.Static, all.Type);
        Assert.Equal(new ServiceMetadata(Reviews, "reviews", "default", 9080, null, "HTTP"), all.Service);

        var v3 = config.Cluster($"outbound|9080|v3|{Reviews}");
        var endpoint = Assert.Single(v3.Endpoints);
        Assert.Equal("10.1.0.13", endpoint.Address);
        Assert.Equal(3, endpoint.Weight);
        Assert.Equal("v3", endpoint.Labels["version"]);
        Assert.Equal("bookinfo-reviews", endpoint.ServiceAccount);
        Assert.Equal("default", endpoint.WorkloadNamespace);
        Assert.Equal("v3", v3.Service!.Subset);
    }

    [Fact]
    public void A_ServiceEntry_unix_socket_endpoint_is_a_static_clusters_pipe_endpoint()
    {
        // Istio's ServiceEntry example "a service available via a Unix Domain Socket on the host of the client".
        var cluster = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: unix-domain-socket-example, namespace: default}
            spec:
              hosts: [example.unix.local]
              location: MESH_EXTERNAL
              ports: [{number: 8001, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: "unix:///var/run/example/socket"}]
            """).Cluster("outbound|8001||example.unix.local");
        Assert.Equal(ClusterDiscoveryType.Static, cluster.Type);
        var endpoint = Assert.Single(cluster.Endpoints);
        Assert.Equal("unix:///var/run/example/socket", endpoint.Address);
        Assert.Equal("/var/run/example/socket", endpoint.UnixSocketPath);
        Assert.Equal("/var/run/example/socket", endpoint.ToString());
    }

    [Fact]
    public void Defaults_follow_istio_least_request_unlimited_breakers_10s_connect_timeout()
    {
        var cluster = Config(Bookinfo.Services).Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(LoadBalancerPolicy.LeastRequest, cluster.LbPolicy);
        Assert.Equal(CircuitBreakersConfig.Default, cluster.CircuitBreakers);
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.ConnectTimeout);
        Assert.Null(cluster.OutlierDetection);
        Assert.Null(cluster.HealthyPanicThresholdPercent);
        Assert.Equal(UpstreamHttpProtocol.Http1, cluster.HttpProtocol);
        // MESH_INTERNAL without a DestinationRule tls setting: auto mTLS by endpoint label.
        Assert.True(cluster.AutoMtls);
        Assert.Null(cluster.Tls);
        // What the tlsMode-istio transport socket match carries: Istio's SNI, the service's SPIFFE SANs, Istio's ALPN.
        var auto = cluster.AutoMtlsSettings!;
        Assert.Equal(UpstreamTlsMode.IstioMutual, auto.Mode);
        Assert.Equal($"outbound_.9080_._.{Reviews}", auto.Sni);
        Assert.Contains("spiffe://cluster.local/ns/default/sa/bookinfo-reviews", auto.SubjectAltNames);
        Assert.Equal(["istio-peer-exchange", "istio"], auto.Alpn);
    }

    [Theory]
    [InlineData("ROUND_ROBIN", LoadBalancerPolicy.RoundRobin)]
    [InlineData("RANDOM", LoadBalancerPolicy.Random)]
    [InlineData("LEAST_REQUEST", LoadBalancerPolicy.LeastRequest)]
    [InlineData("LEAST_CONN", LoadBalancerPolicy.LeastRequest)]
    [InlineData("UNSPECIFIED", LoadBalancerPolicy.LeastRequest)]
    public void LoadBalancer_simple_maps_to_envoy_lb_policy(string simple, LoadBalancerPolicy expected)
    {
        var config = WithRule($$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: {{simple}}}
            """);
        Assert.Equal(expected, config.Cluster($"outbound|9080||{Reviews}").LbPolicy);
    }

    [Fact]
    public void Passthrough_load_balancing_makes_an_original_destination_cluster()
    {
        var cluster = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {simple: PASSTHROUGH}}
            """).Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(ClusterDiscoveryType.OriginalDst, cluster.Type);
        Assert.Equal(LoadBalancerPolicy.ClusterProvided, cluster.LbPolicy);
        Assert.Empty(cluster.Endpoints);
    }

    [Fact]
    public void Consistent_hash_uses_ring_hash_with_its_minimum_ring_size_or_maglev()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 2048}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings}
            spec:
              host: ratings
              trafficPolicy:
                loadBalancer:
                  consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: details}
            spec:
              host: details
              trafficPolicy:
                loadBalancer:
                  consistentHash: {httpCookie: {name: session, ttl: 0s}}
            """));
        var reviews = config.Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(LoadBalancerPolicy.RingHash, reviews.LbPolicy);
        Assert.Equal(2048, reviews.MinimumRingSize);
        Assert.Equal(LoadBalancerPolicy.Maglev, config.Cluster("outbound|9080||ratings.default.svc.cluster.local").LbPolicy);
        var details = config.Cluster("outbound|9080||details.default.svc.cluster.local");
        Assert.Equal(LoadBalancerPolicy.RingHash, details.LbPolicy);
        Assert.Equal(1024, details.MinimumRingSize);
    }

    [Fact]
    public void Connection_pool_sets_circuit_breakers_timeouts_and_keepalive()
    {
        var cluster = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp:
                    maxConnections: 100
                    connectTimeout: 30ms
                    maxConnectionDuration: 10m
                    tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}
                  http:
                    http1MaxPendingRequests: 10
                    http2MaxRequests: 1000
                    maxRequestsPerConnection: 1
                    maxRetries: 3
                    idleTimeout: 30s
            """).Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(new CircuitBreakersConfig { MaxConnections = 100, MaxPendingRequests = 10, MaxRequests = 1000, MaxRetries = 3 }, cluster.CircuitBreakers);
        Assert.Equal(TimeSpan.FromMilliseconds(30), cluster.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster.IdleTimeout);
        Assert.Equal(1, cluster.MaxRequestsPerConnection);
        Assert.Equal(TimeSpan.FromMinutes(10), cluster.MaxConnectionDuration);
        Assert.Equal(new TcpKeepaliveConfig(3, TimeSpan.FromHours(2), TimeSpan.FromSeconds(75)), cluster.TcpKeepalive);
    }

    [Fact]
    public void A_rules_tcpKeepalive_overrides_the_meshs_field_by_field()
    {
        // Istio's applyTCPKeepalive: the mesh's settings first, then each field the DestinationRule sets.
        var cluster = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                tcpKeepalive: {probes: 9, time: 600s, interval: 30s}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp:
                    tcpKeepalive: {time: 60s}
            """)).Cluster($"outbound|9080||{Reviews}");

        Assert.Equal(new TcpKeepaliveConfig(9, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)), cluster.TcpKeepalive);
    }

    [Fact]
    public void Without_an_http_idle_timeout_the_tcp_one_applies_to_pooled_connections()
    {
        var cluster = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool:
                  tcp: {idleTimeout: 2s}
            """).Cluster($"outbound|9080||{Reviews}");

        Assert.Equal(TimeSpan.FromSeconds(2), cluster.IdleTimeout);
    }

    [Fact]
    public void Outlier_detection_keeps_envoy_defaults_and_disables_panic_mode()
    {
        var config = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                outlierDetection:
                  consecutiveGatewayErrors: 7
                  interval: 5m
                  baseEjectionTime: 15m
                  maxEjectionPercent: 100
            """);
        var cluster = config.Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(
            new OutlierDetectionConfig
            {
                Consecutive5xx = 5, // unset: Envoy's default of 5 stays enforced
                ConsecutiveGatewayErrors = 7,
                Interval = TimeSpan.FromMinutes(5),
                BaseEjectionTime = TimeSpan.FromMinutes(15),
                MaxEjectionPercent = 100,
            },
            cluster.OutlierDetection);
        Assert.Equal(0, cluster.HealthyPanicThresholdPercent);
    }

    [Fact]
    public void Istio_mutual_tls_uses_istio_sni_and_the_service_accounts()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                tls: {mode: ISTIO_MUTUAL}
              subsets:
              - name: v1
                labels: {version: v1}
            """));
        var parent = config.Cluster($"outbound|9080||{Reviews}");
        Assert.False(parent.AutoMtls);
        Assert.Equal(UpstreamTlsMode.IstioMutual, parent.Tls!.Mode);
        Assert.Equal($"outbound_.9080_._.{Reviews}", parent.Tls.Sni);
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/bookinfo-reviews"], parent.Tls.SubjectAltNames);
        Assert.Equal(["istio-peer-exchange", "istio"], parent.Tls.Alpn);
        Assert.Equal($"outbound_.9080_.v1_.{Reviews}", config.Cluster($"outbound|9080|v1|{Reviews}").Tls!.Sni);
    }

    [Fact]
    public void Simple_and_mutual_tls_take_files_sni_and_sans_from_the_rule()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin}
            spec:
              hosts: [httpbin.example.com]
              resolution: DNS
              ports:
              - {number: 443, name: https, protocol: HTTPS}
              - {number: 8443, name: mtls, protocol: TLS}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: httpbin}
            spec:
              host: httpbin.example.com
              trafficPolicy:
                tls: {mode: SIMPLE, sni: httpbin.example.com, caCertificates: /etc/ssl/ca.pem}
                portLevelSettings:
                - port: {number: 8443}
                  tls:
                    mode: MUTUAL
                    clientCertificate: /etc/certs/client.pem
                    privateKey: /etc/certs/key.pem
                    subjectAltNames: [httpbin.example.com]
                    insecureSkipVerify: false
            """);
        var simple = config.Cluster("outbound|443||httpbin.example.com").Tls!;
        Assert.Equal(new UpstreamTlsConfig { Mode = UpstreamTlsMode.Simple, Sni = "httpbin.example.com", CaCertificatesPath = "/etc/ssl/ca.pem" }, simple);
        var mutual = config.Cluster("outbound|8443||httpbin.example.com").Tls!;
        Assert.Equal(UpstreamTlsMode.Mutual, mutual.Mode);
        Assert.Null(mutual.Sni); // port-level settings replace the rule's tls, they do not inherit its sni
        Assert.Equal("/etc/certs/client.pem", mutual.ClientCertificatePath);
        Assert.Equal("/etc/certs/key.pem", mutual.PrivateKeyPath);
        Assert.Equal(["httpbin.example.com"], mutual.SubjectAltNames);
    }

    [Fact]
    public void ProxyProtocol_version_reaches_outbound_clusters_through_subsets_and_port_level_settings()
    {
        // Istio's MergeTrafficPolicy: a subset's proxyProtocol replaces the rule's; portLevelSettings, which have no
        // proxyProtocol field, replace the other four fields and keep it. `proxyProtocol: {}` is version V1 (enum 0).
        var config = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                proxyProtocol: {}
                portLevelSettings:
                - port: {number: 9080}
                  loadBalancer: {simple: RANDOM}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  proxyProtocol: {version: V2}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: productpage}
            spec:
              host: productpage
              trafficPolicy: {proxyProtocol: {version: V2}}
            """);
        var all = config.Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(ProxyProtocolVersion.V1, all.ProxyProtocol);
        Assert.Equal(LoadBalancerPolicy.Random, all.LbPolicy);
        Assert.Equal(ProxyProtocolVersion.V1, config.Cluster($"outbound|9080|v1|{Reviews}").ProxyProtocol);
        Assert.Equal(ProxyProtocolVersion.V2, config.Cluster($"outbound|9080|v2|{Reviews}").ProxyProtocol);
        // Only outbound clusters: Istio applies it with the TLS settings, never to inbound ones (the workload's own,
        // productpage, has a rule with it).
        Assert.Equal(ProxyProtocolVersion.V2, config.Cluster("outbound|9080||productpage.default.svc.cluster.local").ProxyProtocol);
        Assert.Null(config.Cluster($"outbound|9080||ratings.default.svc.cluster.local").ProxyProtocol);
        var inbound = config.Clusters.Where(c => c.Name.StartsWith("inbound|", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(inbound);
        Assert.All(inbound, c => Assert.Null(c.ProxyProtocol));
    }

    [Fact]
    public void RetryBudget_becomes_the_retry_breaker_with_istiods_defaults_for_unset_fields()
    {
        // Istio's applyRetryBudget: minRetryConcurrency 0 means 3; an unset percent is istiod's 0.2 (Envoy reads 0.2%).
        // A subset's retryBudget replaces the rule's; port-level settings, which have none, keep it.
        var config = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                retryBudget: {percent: 25, minRetryConcurrency: 5}
                portLevelSettings:
                - port: {number: 9080}
                  connectionPool: {http: {maxRetries: 7}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  retryBudget: {}
            """);
        var all = config.Cluster($"outbound|9080||{Reviews}").CircuitBreakers;
        Assert.Equal(new RetryBudgetConfig(25, 5), all.RetryBudget);
        Assert.Equal(7, all.MaxRetries);
        Assert.Equal(new RetryBudgetConfig(0.2, 3), config.Cluster($"outbound|9080|v1|{Reviews}").CircuitBreakers.RetryBudget);
        Assert.Null(config.Cluster($"outbound|9080||ratings.default.svc.cluster.local").CircuitBreakers.RetryBudget);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http2")]
    public void UseClientProtocol_keeps_the_clients_protocol_even_on_an_http2_port(string portName)
    {
        // applyConnectionPool's setUseDownstreamProtocol replaces an HTTP/2 port's explicit protocol options (and
        // shouldH2Upgrade does not upgrade when useClientProtocol is set; validation refuses it with UPGRADE).
        var cluster = ApiCluster(portName.ToUpperInvariant(), "{connectionPool: {http: {useClientProtocol: true} } }");
        Assert.Equal(UpstreamHttpProtocol.UseDownstream, cluster.HttpProtocol);
    }

    [Theory]
    [InlineData("HTTP2", null, 8)]
    [InlineData("GRPC", null, 8)]
    [InlineData("HTTP", "UPGRADE", null)] // setH2Options after applyConnectionPool: fresh options, no limit
    [InlineData("HTTP", null, null)]
    public void MaxConcurrentStreams_limits_the_streams_of_an_http2_ports_connections(string protocol, string? upgrade, int? expected)
    {
        var upgradePolicy = upgrade is null ? "" : $", h2UpgradePolicy: {upgrade}";
        var cluster = ApiCluster(protocol, $"{{connectionPool: {{http: {{maxConcurrentStreams: 8{upgradePolicy} }} }} }}");
        Assert.Equal(expected, cluster.MaxConcurrentStreams);
    }

    [Fact]
    public void CaCrl_goes_with_caCertificates_as_istiod_attaches_it_to_that_validation()
    {
        var result = Translate("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: secure, namespace: default}
            spec:
              hosts: [a.example.com, b.example.com]
              location: MESH_EXTERNAL
              resolution: DNS
              ports: [{number: 443, name: tls, protocol: TLS}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: a, namespace: default}
            spec:
              host: a.example.com
              trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /etc/ca.pem, caCrl: /etc/ca.crl}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: b, namespace: default}
            spec:
              host: b.example.com
              trafficPolicy: {tls: {mode: SIMPLE, caCrl: /etc/ca.crl}}
            """);
        var config = result.Config!;
        Assert.Equal("/etc/ca.crl", config.Cluster("outbound|443||a.example.com").Tls!.CaCrlPath);
        Assert.Null(config.Cluster("outbound|443||b.example.com").Tls!.CaCrlPath);
        Assert.Contains(result.Warnings, w => w.Contains("tls.caCrl for outbound|443||b.example.com is not applied", StringComparison.Ordinal));
    }

    [Fact]
    public void Tls_disable_turns_auto_mtls_off_and_mesh_external_never_has_it()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {tls: {mode: DISABLE}}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin}
            spec:
              hosts: [httpbin.org]
              resolution: DNS
              ports: [{number: 80, name: http, protocol: HTTP}]
            """));
        var reviews = config.Cluster($"outbound|9080||{Reviews}");
        Assert.False(reviews.AutoMtls);
        Assert.Null(reviews.Tls);
        Assert.False(config.Cluster("outbound|80||httpbin.org").AutoMtls);
    }

    [Fact]
    public void Subset_policy_overrides_the_rule_field_by_field_and_port_level_replaces_it()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: RANDOM}
                connectionPool: {tcp: {maxConnections: 10}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  portLevelSettings:
                  - port: {number: 9080}
                    outlierDetection: {consecutive5xxErrors: 2}
            """));
        var v1 = config.Cluster($"outbound|9080|v1|{Reviews}");
        Assert.Equal(LoadBalancerPolicy.RoundRobin, v1.LbPolicy);
        Assert.Equal(10, v1.CircuitBreakers.MaxConnections); // inherited from the rule

        var v2 = config.Cluster($"outbound|9080|v2|{Reviews}");
        Assert.Equal(LoadBalancerPolicy.LeastRequest, v2.LbPolicy); // port-level settings do not inherit
        Assert.Equal(CircuitBreakersConfig.Default, v2.CircuitBreakers);
        Assert.Equal(2, v2.OutlierDetection!.Consecutive5xx);

        var v3 = config.Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(LoadBalancerPolicy.Random, v3.LbPolicy);
    }

    [Theory]
    [InlineData("GRPC", "grpc", UpstreamHttpProtocol.Http2)]
    [InlineData("HTTP2", "http2", UpstreamHttpProtocol.Http2)]
    [InlineData("GRPC-Web", "grpc-web", UpstreamHttpProtocol.Http2)] // Istio's IsHTTP2 counts gRPC-Web: upstream it is gRPC
    [InlineData("HTTP", "http", UpstreamHttpProtocol.Http1)]
    [InlineData(null, "grpc-api", UpstreamHttpProtocol.Http2)] // port-name prefix convention
    [InlineData(null, "http-web", UpstreamHttpProtocol.Http1)]
    [InlineData(null, "web", UpstreamHttpProtocol.UseDownstream)] // auto-detect
    public void Upstream_protocol_follows_the_port_protocol(string? protocol, string name, UpstreamHttpProtocol expected)
    {
        var protocolField = protocol is null ? "" : $", protocol: {protocol}";
        var config = Config($$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api}
            spec:
              hosts: [api.default.svc.cluster.local]
              addresses: [10.96.0.50]
              resolution: STATIC
              ports: [{number: 7070, name: {{name}}{{protocolField}}}]
              endpoints: [{address: 10.1.0.50}]
            """);
        Assert.Equal(expected, config.Cluster("outbound|7070||api.default.svc.cluster.local").HttpProtocol);
    }

    [Fact]
    public void H2_upgrade_policy_upgrades_http_clusters()
    {
        var cluster = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
            """).Cluster($"outbound|9080||{Reviews}");
        Assert.Equal(UpstreamHttpProtocol.Http2, cluster.HttpProtocol);
    }

    [Fact]
    public void Resolution_maps_to_the_cluster_discovery_type()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external}
            spec:
              hosts: [api.example.com]
              resolution: DNS
              ports: [{number: 443, name: tls, protocol: TLS, targetPort: 8443}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: single}
            spec:
              hosts: [one.example.com]
              resolution: DNS_ROUND_ROBIN
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints: [{address: lb.example.com}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: anything}
            spec:
              hosts: [any.example.com]
              resolution: NONE
              ports: [{number: 80, name: http, protocol: HTTP}]
            """);
        var dns = config.Cluster("outbound|443||api.example.com");
        Assert.Equal(ClusterDiscoveryType.StrictDns, dns.Type);
        Assert.Equal("api.example.com:8443", Assert.Single(dns.Endpoints).ToString()); // a DNS entry without endpoints resolves its host
        var logical = config.Cluster("outbound|80||one.example.com");
        Assert.Equal(ClusterDiscoveryType.LogicalDns, logical.Type);
        Assert.Equal("lb.example.com:80", Assert.Single(logical.Endpoints).ToString());
        var none = config.Cluster("outbound|80||any.example.com");
        Assert.Equal(ClusterDiscoveryType.OriginalDst, none.Type);
        Assert.Equal(LoadBalancerPolicy.ClusterProvided, none.LbPolicy);
    }

    [Fact]
    public void Workload_entries_selected_by_the_entry_become_endpoints_with_their_ports()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: vm-ratings}
            spec:
              hosts: [ratings.vm.example]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP, targetPort: 8080}]
              workloadSelector: {labels: {app: ratings}}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: ratings-vm-1}
            spec:
              address: 192.168.1.10
              labels: {app: ratings, version: v1}
              serviceAccount: ratings
              locality: us-east/zone-a
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: ratings-vm-2}
            spec:
              address: 192.168.1.11
              ports: {http: 9999}
              labels: {app: ratings, version: v2}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: other, namespace: other}
            spec:
              address: 192.168.1.12
              labels: {app: ratings}
            """);
        var cluster = config.Cluster("outbound|9080||ratings.vm.example");
        Assert.Equal(["192.168.1.10:8080", "192.168.1.11:9999"], cluster.Endpoints.Select(e => e.ToString()));
        Assert.Equal("ratings-vm-1", cluster.Endpoints[0].WorkloadName);
        Assert.Equal("us-east/zone-a", cluster.Endpoints[0].Locality);
    }

    [Fact]
    public void Dns_subset_without_matching_endpoints_is_left_out()
    {
        var result = Translate("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external}
            spec:
              hosts: [api.example.com]
              resolution: DNS
              ports: [{number: 80, name: http, protocol: HTTP}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: external}
            spec:
              host: api.example.com
              subsets: [{name: v1, labels: {version: v1}}]
            """);
        Assert.True(result.IsValid);
        Assert.Null(result.Config!.FindCluster("outbound|80|v1|api.example.com"));
        Assert.Contains(result.Warnings, w => w.Contains("outbound|80|v1|api.example.com has no endpoints", StringComparison.Ordinal));
    }

    [Fact]
    public void Credential_names_are_refused_with_a_clear_message()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {tls: {mode: SIMPLE, credentialName: reviews-secret}}
            """));
        Assert.Contains(errors, e => e.Message.Contains("credentialName \"reviews-secret\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Internal_clusters_are_always_present()
    {
        var config = Config(Bookinfo.Services);
        Assert.Equal(ClusterDiscoveryType.OriginalDst, config.Cluster(ClusterName.Passthrough).Type);
        var blackHole = config.Cluster(ClusterName.BlackHole);
        Assert.Equal(ClusterDiscoveryType.Static, blackHole.Type);
        Assert.Empty(blackHole.Endpoints);
        var inbound = config.Cluster(ClusterName.InboundPassthrough);
        Assert.Equal(ClusterDiscoveryType.OriginalDst, inbound.Type);
        Assert.Equal("127.0.0.6", inbound.UpstreamBindAddress);
    }

    [Fact]
    public void Warmup_sets_slow_start_for_round_robin_and_least_request_only()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: 60s}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings}
            spec:
              host: ratings
              trafficPolicy: {loadBalancer: {simple: RANDOM, warmupDurationSecs: 60s}}
            """));
        Assert.Equal(TimeSpan.FromMinutes(1), config.Cluster($"outbound|9080||{Reviews}").SlowStartWindow);
        Assert.Null(config.Cluster("outbound|9080||ratings.default.svc.cluster.local").SlowStartWindow);
    }

    [Fact]
    public void Warmup_carries_its_aggression_and_minimum_percent_with_envoys_defaults_where_unset()
    {
        // Istio's setWarmup: aggression 1 and minimumPercent 10 unless given.
        var config = WithRule("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {warmup: {duration: 90s, aggression: 2, minimumPercent: 25}}}
              subsets:
              - name: v1
                labels: {version: v1}
                trafficPolicy: {loadBalancer: {warmup: {duration: 30s}}}
            """);
        var all = config.Cluster($"outbound|9080||{Reviews}");
        Assert.Equal((TimeSpan.FromSeconds(90), 2.0, 25.0), (all.SlowStartWindow, all.SlowStartAggression, all.SlowStartMinWeightPercent));
        var v1 = config.Cluster($"outbound|9080|v1|{Reviews}");
        Assert.Equal((TimeSpan.FromSeconds(30), 1.0, 10.0), (v1.SlowStartWindow, v1.SlowStartAggression, v1.SlowStartMinWeightPercent));
    }

    [Fact]
    public void Istio_mutual_takes_sans_from_subject_alt_names_and_offers_h2_to_grpc()
    {
        var cluster = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api}
            spec:
              hosts: [api.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              subjectAltNames: ["spiffe://cluster.local/ns/default/sa/api"]
              ports: [{number: 7070, name: grpc, protocol: GRPC}]
              endpoints: [{address: 10.1.0.70, serviceAccount: api-v2}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: api}
            spec:
              host: api.default.svc.cluster.local
              trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
            """).Cluster("outbound|7070||api.default.svc.cluster.local");
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/api", "spiffe://cluster.local/ns/default/sa/api-v2"], cluster.Tls!.SubjectAltNames);
        Assert.Equal(["istio-peer-exchange", "istio", "h2"], cluster.Tls.Alpn);
    }
}
