using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Listeners;

public sealed class InboundListenerBuilderTests
{
    [Fact]
    public void Virtual_inbound_has_a_chain_per_port_of_the_services_at_the_instance_ip()
    {
        var config = Config(Bookinfo.Services);
        var inbound = config.Listener(ListenerNames.VirtualInbound);
        Assert.Equal(15006, inbound.Port);
        Assert.False(inbound.BindToPort);
        Assert.Equal(TrafficDirection.Inbound, inbound.Direction);
        // PERMISSIVE (no PeerAuthentication): Istio's mTLS chain for istio ALPNs, then the plaintext chain.
        Assert.Equal(["virtualInbound-blackhole", "inbound|9080|mtls-http", "inbound|9080|http"], inbound.FilterChains.Select(c => c.Name));
        var chain = inbound.FilterChains[2];
        Assert.Equal(9080, chain.Match.DestinationPort);
        Assert.Equal(new HttpConnectionManagerConfig { RouteTableName = "inbound|9080||", StatPrefix = "inbound_0.0.0.0_9080", ForwardClientCertDetails = true }, chain.Http);
        Assert.Equal(ClusterName.InboundPassthrough, Assert.Single(inbound.DefaultFilterChain!.Tcp!.Clusters).Cluster);

        var cluster = config.Cluster("inbound|9080||");
        Assert.Equal(ClusterDiscoveryType.OriginalDst, cluster.Type);
        Assert.Equal("127.0.0.6", cluster.UpstreamBindAddress);
        Assert.Equal("productpage.default.svc.cluster.local", cluster.Service!.Host);

        var vhost = Assert.Single(config.Table("inbound|9080||").VirtualHosts);
        Assert.Equal("inbound|http|9080", vhost.Name);
        Assert.Equal(["*"], vhost.Domains);
        var route = Assert.Single(vhost.Routes);
        Assert.Equal("inbound|9080||", Assert.Single(route.Route!.Clusters).Cluster);
        Assert.Null(route.Route.Timeout);
        Assert.Equal(RetryOn.ResetBeforeRequest, route.Route.Retry!.RetryOn);
    }

    [Fact]
    public void A_workload_selector_entry_makes_this_workload_serve_its_ports()
    {
        var reviews = Productpage with { Labels = Labels.From(("app", "reviews")), InstanceIps = [] };
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              workloadSelector: {labels: {app: reviews}}
              ports:
              - {number: 9080, name: http, protocol: HTTP, targetPort: 8080}
              - {number: 9090, name: grpc, protocol: GRPC}
              - {number: 9100, name: tcp-metrics, protocol: TCP}
              - {number: 9200, name: auto}
            """, reviews);
        var chains = config.Listener(ListenerNames.VirtualInbound).FilterChains;
        Assert.Equal(
            [("inbound|8080|http", 8080), ("inbound|9090|http", 9090), ("inbound|9100|tcp", 9100), ("inbound|9200|http", 9200), ("inbound|9200|tcp", 9200), ("inbound|9200|tcp|raw_buffer", 9200)],
            chains.Skip(1).Where(c => c.Tls is null).Select(c => (c.Name, c.Match.DestinationPort!.Value)));
        Assert.Equal(["http/1.1", "h2c"], chains.Single(c => c.Name == "inbound|9200|http").Match.ApplicationProtocols);
        Assert.Equal(UpstreamHttpProtocol.Http2, config.Cluster("inbound|9090||").HttpProtocol);
        Assert.Null(Assert.Single(Assert.Single(config.Table("inbound|9090||").VirtualHosts).Routes).Route!.Retry); // no reset retries for gRPC
        Assert.Equal("inbound|http|9080", Assert.Single(config.Table("inbound|8080||").VirtualHosts).Name);
    }

    [Fact]
    public void A_sidecar_ingress_binds_a_listener_that_forwards_to_the_default_endpoint()
    {
        var reviews = Productpage with { Labels = Labels.From(("app", "reviews")), InstanceIps = ["127.0.0.3"] };
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 127.0.0.3, labels: {app: reviews}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: reviews}
            spec:
              workloadSelector: {labels: {app: reviews}}
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: 127.0.0.3
                defaultEndpoint: 127.0.0.1:8080
              - port: {number: 9443, protocol: TCP, name: tcp}
                bind: 127.0.0.3
                defaultEndpoint: 0.0.0.0:8443
              egress:
              - hosts: ["./*"]
            """, reviews);
        var http = config.Listener("127.0.0.3_9080");
        Assert.Equal(TrafficDirection.Inbound, http.Direction);
        Assert.True(http.BindToPort);
        Assert.Equal("inbound|9080||", Assert.Single(http.FilterChains, c => c.Tls is null).Http!.RouteTableName);
        var cluster = config.Cluster("inbound|9080||");
        Assert.Equal(ClusterDiscoveryType.Static, cluster.Type);
        Assert.Equal("127.0.0.1:8080", Assert.Single(cluster.Endpoints).ToString());
        Assert.Null(cluster.UpstreamBindAddress);
        Assert.Equal("reviews.default.svc.cluster.local", cluster.Service!.Host);

        var tcp = config.Listener("127.0.0.3_9443");
        Assert.Equal("inbound|9443||", Assert.Single(Assert.Single(tcp.FilterChains, c => c.Tls is null).Tcp!.Clusters).Cluster);
        Assert.Equal("127.0.0.3:8443", Assert.Single(config.Cluster("inbound|9443||").Endpoints).ToString()); // 0.0.0.0 means the instance IP
        Assert.Equal([9080, 9443], config.Listener(ListenerNames.VirtualInbound).FilterChains.Skip(1).Select(c => c.Match.DestinationPort!.Value).Distinct());
    }

    [Fact]
    public void A_unix_socket_default_endpoint_is_the_inbound_clusters_one_endpoint_with_no_source_address()
    {
        // Istio's IstioIngressListener.defaultEndpoint `unix:///path`: a STATIC cluster whose endpoint is a pipe.
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                defaultEndpoint: unix:///var/run/app/http.sock
            """));
        var cluster = config.Cluster("inbound|9080||");
        Assert.Equal(ClusterDiscoveryType.Static, cluster.Type);
        var endpoint = Assert.Single(cluster.Endpoints);
        Assert.Equal("/var/run/app/http.sock", endpoint.UnixSocketPath);
        Assert.Null(cluster.UpstreamBindAddress);
    }

    [Fact]
    public void An_ingress_without_default_endpoint_forwards_to_the_original_destination()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
            """));
        var cluster = config.Cluster("inbound|9080||");
        Assert.Equal(ClusterDiscoveryType.OriginalDst, cluster.Type);
        Assert.Equal("127.0.0.6", cluster.UpstreamBindAddress);
        // Without a bind address the port is served through virtualInbound only.
        Assert.Equal(9080, config.Listener(ListenerNames.VirtualInbound).FilterChains[1].Match.DestinationPort);
        Assert.DoesNotContain(config.Listeners, l => l.Direction == TrafficDirection.Inbound && l.BindToPort);
    }
}
