using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Scope;

public sealed class SidecarScopeTests
{
    private const string OtherNamespace = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: billing, namespace: billing}
        spec:
          hosts: [billing.billing.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8080, name: http, protocol: HTTP}]
          endpoints: [{address: 10.3.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: private, namespace: billing}
        spec:
          hosts: [ledger.billing.svc.cluster.local]
          exportTo: ["."]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8080, name: http, protocol: HTTP}]
          endpoints: [{address: 10.3.0.2}]
        """;

    [Fact]
    public void Without_a_sidecar_every_exported_service_is_visible()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, OtherNamespace));
        Assert.NotNull(config.FindCluster("outbound|8080||billing.billing.svc.cluster.local"));
        Assert.Null(config.FindCluster("outbound|8080||ledger.billing.svc.cluster.local")); // exportTo: "."
    }

    [Fact]
    public void Egress_hosts_limit_the_services_the_proxy_sees()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, OtherNamespace, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              egress:
              - hosts: ["./reviews.default.svc.cluster.local", "./ratings.default.svc.cluster.local"]
            """));
        Assert.Equal(
            ["outbound|9080||ratings.default.svc.cluster.local", "outbound|9080||reviews.default.svc.cluster.local"],
            config.Clusters.Select(c => c.Name).Where(n => n.StartsWith("outbound|", StringComparison.Ordinal)).Order());
        Assert.Equal(2, config.Table("9080").VirtualHosts.Count - 1);
    }

    [Fact]
    public void Services_a_selected_VirtualService_routes_or_mirrors_to_are_imported_though_the_hosts_omit_them()
    {
        // Istio's collectImportedServices: "infer more possible destinations from virtual services".
        var config = Config(Bookinfo.All(Bookinfo.Services, OtherNamespace, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              egress:
              - hosts: ["./reviews.default.svc.cluster.local"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - route: [{destination: {host: billing.billing.svc.cluster.local}}]
                mirror: {host: ratings}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: unselected}
            spec:
              hosts: [details]
              http:
              - route: [{destination: {host: productpage}}]
            """));

        Assert.Equal(
            [
                "outbound|8080||billing.billing.svc.cluster.local",
                "outbound|9080||ratings.default.svc.cluster.local",
                "outbound|9080||reviews.default.svc.cluster.local",
            ],
            config.Clusters.Select(c => c.Name).Where(n => n.StartsWith("outbound|", StringComparison.Ordinal)).Order());
    }

    [Fact]
    public void Two_entries_for_one_host_in_one_namespace_merge_their_ports_each_with_its_own_endpoints()
    {
        // Istio's appendSidecarServices/canMergeServices (1.21 on): same namespace, resolution, labels, selector and
        // exportTo, different ports: the later entry's ports are added. An entry from another namespace is not merged.
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin-80}
            spec:
              hosts: [httpbin.org]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints: [{address: 10.5.0.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin-8000}
            spec:
              hosts: [httpbin.org]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 8000, name: http-alt, protocol: HTTP}]
              endpoints: [{address: 10.5.0.2, ports: {http-alt: 18000}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin-9000, namespace: elsewhere}
            spec:
              hosts: [httpbin.org]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 9000, name: http-9000, protocol: HTTP}]
              endpoints: [{address: 10.5.0.3}]
            """));

        Assert.Equal(["10.5.0.1:80"], config.Cluster("outbound|80||httpbin.org").Endpoints.Select(e => e.ToString()));
        Assert.Equal(["10.5.0.2:18000"], config.Cluster("outbound|8000||httpbin.org").Endpoints.Select(e => e.ToString()));
        Assert.Null(config.FindCluster("outbound|9000||httpbin.org"));
    }

    [Fact]
    public void A_workload_selector_sidecar_wins_over_the_namespace_default_and_the_root_default()
    {
        const string rules = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: istio-system}
            spec:
              egress: [{hosts: ["*/*"]}]
              outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              egress: [{hosts: ["billing/*"]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: productpage}
            spec:
              workloadSelector: {labels: {app: productpage}}
              egress: [{hosts: ["./*"]}]
            """;
        var productpage = Config(Bookinfo.All(Bookinfo.Services, OtherNamespace, rules));
        Assert.Null(productpage.FindCluster("outbound|8080||billing.billing.svc.cluster.local"));
        Assert.NotNull(productpage.FindCluster("outbound|9080||reviews.default.svc.cluster.local"));

        var reviews = Productpage with { Labels = Labels.From(("app", "reviews")) };
        var namespaceDefault = Config(Bookinfo.All(Bookinfo.Services, OtherNamespace, rules), reviews);
        Assert.NotNull(namespaceDefault.FindCluster("outbound|8080||billing.billing.svc.cluster.local"));
        Assert.Null(namespaceDefault.FindCluster("outbound|9080||reviews.default.svc.cluster.local"));

        var elsewhere = Productpage with { Namespace = "shop", Labels = Labels.Empty };
        var rootDefault = Config(Bookinfo.All(Bookinfo.Services, OtherNamespace, rules), elsewhere);
        Assert.Equal(OutboundTrafficPolicy.RegistryOnly, rootDefault.Mesh.OutboundTrafficPolicy);
    }

    [Fact]
    public void Outbound_traffic_policy_comes_from_the_override_then_the_sidecar_then_the_mesh()
    {
        const string mesh = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"
            """;
        const string sidecar = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              outboundTrafficPolicy: {mode: ALLOW_ANY}
            """;
        Assert.Equal(OutboundTrafficPolicy.AllowAny, Config(Bookinfo.Services).Mesh.OutboundTrafficPolicy);
        Assert.Equal(OutboundTrafficPolicy.RegistryOnly, Config(Bookinfo.All(Bookinfo.Services, mesh)).Mesh.OutboundTrafficPolicy);
        Assert.Equal(OutboundTrafficPolicy.AllowAny, Config(Bookinfo.All(Bookinfo.Services, mesh, sidecar)).Mesh.OutboundTrafficPolicy);
        Assert.Equal(OutboundTrafficPolicy.RegistryOnly,
            Config(Bookinfo.All(Bookinfo.Services, mesh, sidecar), policy: OutboundTrafficPolicy.RegistryOnly).Mesh.OutboundTrafficPolicy);
    }

    [Fact]
    public void An_egressProxy_takes_what_ALLOW_ANY_would_pass_through_on_both_the_tcp_chain_and_the_allow_any_route()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: egress-proxy, namespace: default}
            spec:
              hosts: [egress-proxy.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 3128, name: tcp-proxy, protocol: TCP}]
              endpoints: [{address: 10.0.0.99}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              outboundTrafficPolicy:
                mode: ALLOW_ANY
                egressProxy: {host: egress-proxy, port: {number: 3128}}
            """));

        const string egress = "outbound|3128||egress-proxy.default.svc.cluster.local";
        Assert.Equal(egress, config.Listener("virtualOutbound").DefaultFilterChain!.Tcp!.Clusters[0].Cluster);
        Assert.Equal(egress, config.Table("9080").VirtualHosts[^1].Routes[0].Route!.Clusters[0].Cluster);
    }

    [Fact]
    public void An_egressProxy_outside_ALLOW_ANY_is_refused_naming_the_field()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              outboundTrafficPolicy:
                mode: REGISTRY_ONLY
                egressProxy: {host: egress-proxy, port: {number: 3128}}
            """));

        Assert.Contains(errors, e => e.Field == "spec.outboundTrafficPolicy.egressProxy" && e.Message.Contains("ALLOW_ANY", StringComparison.Ordinal));
    }

    [Fact]
    public void An_egressProxy_needs_a_valid_host_and_a_port()
    {
        // Istio's validateSidecarOutboundTrafficPolicy: ValidateFQDN(host) and a non-nil port.
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              outboundTrafficPolicy:
                mode: ALLOW_ANY
                egressProxy: {host: not_a_host}
            """));

        Assert.Contains(errors, e => e.Field == "spec.outboundTrafficPolicy.egressProxy.host" && e.Message.Contains("not_a_host", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "spec.outboundTrafficPolicy.egressProxy.port" && e.Message == "egress_proxy port must be non-nil");
    }
}
