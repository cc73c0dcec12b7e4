using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Listeners;

public sealed class OutboundListenerBuilderTests
{
    private const string Database = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: mysql}
        spec:
          hosts: [mysql.default.svc.cluster.local]
          addresses: [10.96.5.5]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 3306, name: tcp-mysql, protocol: TCP}]
          endpoints:
          - {address: 10.1.5.1, labels: {version: primary}}
          - {address: 10.1.5.2, labels: {version: replica}}
        """;

    [Fact]
    public void Virtual_outbound_passes_unknown_traffic_through_or_blackholes_it()
    {
        var allowAny = Config(Bookinfo.Services).Listener(ListenerNames.VirtualOutbound);
        Assert.Equal(15001, allowAny.Port);
        Assert.False(allowAny.BindToPort);
        Assert.Equal(ClusterName.Passthrough, Assert.Single(allowAny.DefaultFilterChain!.Tcp!.Clusters).Cluster);
        var loop = Assert.Single(allowAny.FilterChains);
        Assert.Equal(15001, loop.Match.DestinationPort);
        Assert.Equal(ClusterName.BlackHole, Assert.Single(loop.Tcp!.Clusters).Cluster);

        var registryOnly = Config(Bookinfo.Services, policy: OutboundTrafficPolicy.RegistryOnly).Listener(ListenerNames.VirtualOutbound);
        Assert.Equal(ClusterName.BlackHole, Assert.Single(registryOnly.DefaultFilterChain!.Tcp!.Clusters).Cluster);
    }

    [Fact]
    public void Http_ports_share_a_wildcard_listener_with_the_port_route_table()
    {
        var listener = Config(Bookinfo.Services).Listener("0.0.0.0_9080");
        Assert.Equal(TrafficDirection.Outbound, listener.Direction);
        Assert.False(listener.BindToPort);
        var chain = Assert.Single(listener.FilterChains);
        Assert.Equal(FilterChainMatchConfig.Any, chain.Match);
        Assert.Equal(new HttpConnectionManagerConfig { RouteTableName = "9080", StatPrefix = "outbound_0.0.0.0_9080" }, chain.Http);
        Assert.Equal("PassthroughFilterChain", listener.DefaultFilterChain!.Name);
    }

    [Fact]
    public void Tcp_ports_listen_on_the_vip_and_proxy_to_the_service_cluster()
    {
        var listener = Config(Database).Listener("10.96.5.5_3306");
        Assert.Equal("10.96.5.5", listener.Address);
        var chain = Assert.Single(listener.FilterChains);
        Assert.Equal("outbound|3306||mysql.default.svc.cluster.local", Assert.Single(chain.Tcp!.Clusters).Cluster);
        Assert.Equal(TimeSpan.FromHours(1), chain.Tcp.IdleTimeout);
    }

    [Fact]
    public void Tcp_without_a_vip_listens_on_the_wildcard_and_cidrs_become_prefix_ranges()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: redis}
            spec:
              hosts: [redis.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 6379, name: redis, protocol: REDIS}]
              endpoints: [{address: 10.1.6.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: legacy}
            spec:
              hosts: [legacy.internal]
              addresses: [192.168.0.0/16]
              resolution: NONE
              ports: [{number: 5000, name: tcp, protocol: TCP}]
            """);
        Assert.Equal("outbound|6379||redis.default.svc.cluster.local", Assert.Single(Assert.Single(config.Listener("0.0.0.0_6379").FilterChains).Tcp!.Clusters).Cluster);
        Assert.Equal(["192.168.0.0/16"], Assert.Single(config.Listener("0.0.0.0_5000").FilterChains).Match.PrefixRanges);
    }

    [Fact]
    public void Tcp_routes_of_a_virtual_service_split_by_weight_and_match_subnets()
    {
        var config = Config(Bookinfo.All(Database, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: mysql}
            spec:
              host: mysql
              trafficPolicy:
                connectionPool: {tcp: {idleTimeout: 30m}}
              subsets:
              - {name: primary, labels: {version: primary}}
              - {name: replica, labels: {version: replica}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: mysql}
            spec:
              hosts: [mysql]
              tcp:
              - match: [{port: 3306, destinationSubnets: [10.96.5.0/24]}, {port: 9999}]
                route:
                - destination: {host: mysql, subset: primary}
              - route:
                - destination: {host: mysql, subset: primary}
                  weight: 80
                - destination: {host: mysql, subset: replica}
                  weight: 20
            """));
        var chains = config.Listener("10.96.5.5_3306").FilterChains;
        Assert.Equal(2, chains.Count);
        Assert.Equal(["10.96.5.0/24"], chains[0].Match.PrefixRanges);
        Assert.Equal("outbound|3306|primary|mysql.default.svc.cluster.local", Assert.Single(chains[0].Tcp!.Clusters).Cluster);
        Assert.Equal(TimeSpan.FromMinutes(30), chains[0].Tcp!.IdleTimeout);
        Assert.Equal(
            [("outbound|3306|primary|mysql.default.svc.cluster.local", 80), ("outbound|3306|replica|mysql.default.svc.cluster.local", 20)],
            chains[1].Tcp!.Clusters.Select(c => (c.Cluster, c.Weight)));
        Assert.True(chains[1].Match.PrefixRanges.IsEmpty);
    }

    [Fact]
    public void A_tunnel_goes_on_single_destination_tcp_chains_from_the_subset_a_route_names_not_inherited_from_the_rule()
    {
        // istiod's tunnelingconfig.Apply: a route to a subset takes that subset's tunnel only; the service's own chain
        // takes the rule's; a weighted split (buildOutboundNetworkFiltersWithWeightedClusters) gets none.
        var config = Config(Bookinfo.All(Database, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: mysql}
            spec:
              host: mysql
              trafficPolicy:
                tunnel: {targetHost: db.example.com, targetPort: 3306}
              subsets:
              - name: primary
                labels: {version: primary}
                trafficPolicy:
                  tunnel: {protocol: POST, targetHost: "2001:db8::7", targetPort: 5432}
              - {name: replica, labels: {version: replica}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: mysql}
            spec:
              hosts: [mysql]
              tcp:
              - match: [{port: 3306, destinationSubnets: [10.96.5.0/24]}]
                route: [{destination: {host: mysql, subset: primary}}]
              - match: [{port: 3306, destinationSubnets: [10.96.6.0/24]}]
                route: [{destination: {host: mysql, subset: replica}}]
              - route:
                - {destination: {host: mysql, subset: primary}, weight: 50}
                - {destination: {host: mysql, subset: replica}, weight: 50}
            """));
        var chains = config.Listener("10.96.5.5_3306").FilterChains;
        Assert.Equal(new TcpTunnelingConfig("[2001:db8::7]:5432", UsePost: true), chains[0].Tcp!.Tunneling);
        Assert.Null(chains[1].Tcp!.Tunneling);
        Assert.Null(chains[2].Tcp!.Tunneling);

        var plain = Config(Bookinfo.All(Database, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: mysql}
            spec:
              host: mysql
              trafficPolicy:
                tunnel: {protocol: CONNECT, targetHost: db.example.com, targetPort: 3306}
            """));
        Assert.Equal(new TcpTunnelingConfig("db.example.com:3306"), Assert.Single(plain.Listener("10.96.5.5_3306").FilterChains).Tcp!.Tunneling);
    }

    [Fact]
    public void Tls_ports_match_by_sni_and_virtual_service_tls_routes()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-https}
            spec:
              hosts: [api.example.com, www.example.com]
              resolution: DNS
              ports: [{number: 443, name: https, protocol: HTTPS}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: api}
            spec:
              hosts: [api.example.com]
              tls:
              - match: [{port: 443, sniHosts: [api.example.com]}]
                route: [{destination: {host: www.example.com}}]
            """);
        var chains = config.Listener("0.0.0.0_443").FilterChains;
        Assert.Equal(2, chains.Count);
        Assert.Equal(["api.example.com"], chains[0].Match.ServerNames);
        Assert.Equal("tls", chains[0].Match.TransportProtocol);
        Assert.Equal("outbound|443||www.example.com", Assert.Single(chains[0].Tcp!.Clusters).Cluster);
        Assert.Equal(["www.example.com"], chains[1].Match.ServerNames);
        Assert.Equal("outbound|443||www.example.com", Assert.Single(chains[1].Tcp!.Clusters).Cluster);
        Assert.Equal(ClusterName.Passthrough, Assert.Single(config.Listener("0.0.0.0_443").DefaultFilterChain!.Tcp!.Clusters).Cluster);
    }

    [Fact]
    public void Auto_detected_ports_sniff_http_and_fall_back_to_tcp()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: web}
            spec:
              hosts: [web.default.svc.cluster.local]
              addresses: [10.96.7.7]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 8000, name: web}]
              endpoints: [{address: 10.1.7.1}]
            """);
        var listener = config.Listener("10.96.7.7_8000");
        Assert.Equal(3, listener.FilterChains.Count);
        var http = listener.FilterChains[0];
        Assert.Equal(["http/1.1", "h2c"], http.Match.ApplicationProtocols);
        Assert.Equal("web.default.svc.cluster.local:8000", http.Http!.RouteTableName);
        // What is not HTTP goes to the service's TCP chain: TLS to the first, other plaintext to its raw_buffer twin.
        Assert.All(listener.FilterChains.Skip(1), tcp => Assert.Equal("outbound|8000||web.default.svc.cluster.local", Assert.Single(tcp.Tcp!.Clusters).Cluster));
        Assert.Equal([null, "raw_buffer"], listener.FilterChains.Skip(1).Select(c => c.Match.TransportProtocol));
        // The table of a sniffed port bound to a VIP serves that service for any authority, and nothing else.
        var vhost = Assert.Single(config.Table("web.default.svc.cluster.local:8000").VirtualHosts);
        Assert.Equal("web.default.svc.cluster.local:8000", vhost.Name);
        Assert.Equal(["*"], vhost.Domains);
    }

    [Fact]
    public void Two_tcp_services_on_one_wildcard_port_keep_the_first()
    {
        var result = Translate("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: a}
            spec:
              hosts: [a.default.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 7000, name: tcp, protocol: TCP}]
              endpoints: [{address: 10.1.8.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: b}
            spec:
              hosts: [b.default.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 7000, name: tcp, protocol: TCP}]
              endpoints: [{address: 10.1.8.2}]
            """);
        Assert.True(result.IsValid);
        Assert.Equal("outbound|7000||a.default.svc.cluster.local", Assert.Single(Assert.Single(result.Config!.Listener("0.0.0.0_7000").FilterChains).Tcp!.Clusters).Cluster);
        Assert.Contains(result.Warnings, w => w.Contains("conflicts", StringComparison.Ordinal));
    }

    [Fact]
    public void A_sidecar_egress_listener_with_a_bind_address_is_opened_by_the_sidecar_for_its_hosts()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: billing, namespace: billing}
            spec:
              hosts: [billing.billing.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.3.0.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: productpage}
            spec:
              workloadSelector: {labels: {app: productpage}}
              egress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: 127.0.0.2
                hosts: ["./*"]
              - hosts: ["*/*"]
            """));
        var listener = config.Listener("127.0.0.2_9080");
        Assert.True(listener.BindToPort);
        Assert.Equal("127.0.0.2", listener.Address);
        Assert.Equal("9080", Assert.Single(listener.FilterChains).Http!.RouteTableName);
        Assert.DoesNotContain(config.Listeners, l => l.Name == "0.0.0.0_9080"); // the egress listener claims the port
        Assert.DoesNotContain(config.Table("9080").VirtualHosts, v => v.Name.StartsWith("billing", StringComparison.Ordinal));
        Assert.NotNull(config.FindCluster("outbound|9080||billing.billing.svc.cluster.local")); // still visible via */*
    }

    [Fact]
    public void An_http_proxy_egress_port_routes_every_service_on_every_port()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin}
            spec:
              hosts: [httpbin.org]
              resolution: DNS
              ports: [{number: 80, name: http, protocol: HTTP}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              egress:
              - port: {number: 15080, protocol: HTTP_PROXY, name: http-proxy}
                bind: 127.0.0.1
                hosts: ["*/*"]
              - hosts: ["*/*"]
            """));
        var listener = config.Listener("127.0.0.1_15080");
        Assert.True(listener.BindToPort);
        var table = config.Table(Assert.Single(listener.FilterChains).Http!.RouteTableName);
        Assert.Equal(["httpbin.org", "httpbin.org:80", "httpbin.org.", "httpbin.org.:80"], table.VirtualHost("httpbin.org:80").Domains);
        // Off port 80 a client must name the port, so only domains with one are kept.
        Assert.All(table.VirtualHost("reviews.default.svc.cluster.local:9080").Domains, d => Assert.Contains(":9080", d, StringComparison.Ordinal));
        Assert.Equal("allow_any", table.VirtualHosts[^1].Name);
    }
}
