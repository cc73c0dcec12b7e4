using Sidecar.Istio.Parsing;
using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Registry;

/// <summary>Kubernetes Services, EndpointSlices, Endpoints and Pods as istiod's Kubernetes registry reads them.</summary>
public sealed class KubernetesServiceRegistryTests
{
    /// <summary>What <c>kubectl get svc,endpointslices,pods -o yaml</c> prints for bookinfo's reviews, trimmed.</summary>
    private const string ReviewsDump = """
        apiVersion: v1
        kind: List
        metadata: {resourceVersion: ""}
        items:
        - apiVersion: v1
          kind: Service
          metadata:
            name: reviews
            namespace: default
            labels: {app: reviews, service: reviews}
            annotations:
              kubectl.kubernetes.io/last-applied-configuration: |
                {"apiVersion":"v1","kind":"Service"}
            creationTimestamp: "2026-11-02T10:11:12Z"
            resourceVersion: "1234"
            uid: 3c9a2d3e-0000-4000-8000-000000000001
          spec:
            clusterIP: 10.96.14.7
            clusterIPs: [10.96.14.7]
            internalTrafficPolicy: Cluster
            ipFamilies: [IPv4]
            ipFamilyPolicy: SingleStack
            ports:
            - {name: http, port: 9080, protocol: TCP, targetPort: 9080}
            selector: {app: reviews}
            sessionAffinity: None
            type: ClusterIP
          status:
            loadBalancer: {}
        - apiVersion: discovery.k8s.io/v1
          kind: EndpointSlice
          metadata:
            name: reviews-x7k2p
            namespace: default
            labels: {endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io, kubernetes.io/service-name: reviews}
            ownerReferences:
            - {apiVersion: v1, kind: Service, name: reviews, uid: 3c9a2d3e-0000-4000-8000-000000000001, controller: true, blockOwnerDeletion: true}
          addressType: IPv4
          endpoints:
          - addresses: [10.244.0.11]
            conditions: {ready: true, serving: true, terminating: false}
            nodeName: kind-control-plane
            targetRef: {kind: Pod, name: reviews-v1-5b5d6494f4-abcde, namespace: default, uid: 11111111-0000-4000-8000-000000000001}
          - addresses: [10.244.0.12]
            conditions: {ready: true, serving: true, terminating: false}
            targetRef: {kind: Pod, name: reviews-v2-7d79d5bd5d-fghij, namespace: default}
          - addresses: [10.244.0.13]
            conditions: {ready: false, serving: false, terminating: true}
            targetRef: {kind: Pod, name: reviews-v3-7dbcdcbc56-klmno, namespace: default}
          ports:
          - {name: http, port: 9080, protocol: TCP}
        - apiVersion: v1
          kind: Pod
          metadata:
            name: reviews-v1-5b5d6494f4-abcde
            namespace: default
            labels: {app: reviews, version: v1, pod-template-hash: 5b5d6494f4, security.istio.io/tlsMode: istio, service.istio.io/canonical-name: reviews}
            ownerReferences:
            - {apiVersion: apps/v1, kind: ReplicaSet, name: reviews-v1-5b5d6494f4, controller: true}
          spec:
            serviceAccountName: bookinfo-reviews
            containers:
            - name: reviews
              image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.2
              ports: [{containerPort: 9080, protocol: TCP}]
          status:
            phase: Running
            podIP: 10.244.0.11
            podIPs: [{ip: 10.244.0.11}]
            conditions:
            - {type: Ready, status: "True"}
        - apiVersion: v1
          kind: Pod
          metadata:
            name: reviews-v2-7d79d5bd5d-fghij
            namespace: default
            labels: {app: reviews, version: v2, pod-template-hash: 7d79d5bd5d}
            ownerReferences:
            - {apiVersion: apps/v1, kind: ReplicaSet, name: reviews-v2-7d79d5bd5d, controller: true}
          spec:
            serviceAccountName: bookinfo-reviews
            containers: [{name: reviews, image: reviews-v2}]
          status:
            phase: Running
            podIP: 10.244.0.12
            conditions: [{type: Ready, status: "True"}]
        - apiVersion: v1
          kind: Pod
          metadata:
            name: reviews-v3-7dbcdcbc56-klmno
            namespace: default
            labels: {app: reviews, version: v3}
          spec:
            containers: [{name: reviews, image: reviews-v3}]
          status:
            phase: Running
            podIP: 10.244.0.13
            conditions: [{type: Ready, status: "False"}]
        """;

    private const string ReviewsSubsets = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """;

    [Fact]
    public void A_kubectl_dump_of_a_service_its_slices_and_pods_gives_the_service_with_pod_labelled_endpoints()
    {
        var config = Config(ReviewsDump + "\n---\n" + ReviewsSubsets);

        var cluster = config.Cluster("outbound|9080||reviews.default.svc.cluster.local");
        Assert.Equal(ClusterDiscoveryType.Static, cluster.Type);
        // The terminating, not-ready endpoint is left out, as istiod leaves it out of EDS.
        Assert.Equal(["10.244.0.11:9080", "10.244.0.12:9080"], cluster.Endpoints.Select(e => e.ToString()));
        var v1 = cluster.Endpoints[0];
        Assert.Equal("v1", v1.Labels["version"]);
        Assert.Equal("bookinfo-reviews", v1.ServiceAccount);
        Assert.Equal("reviews-v1", v1.WorkloadName); // the Deployment, from the ReplicaSet less its pod-template-hash
        Assert.Equal("default", v1.WorkloadNamespace);

        // DestinationRule subsets select by the pods' labels.
        Assert.Equal(["10.244.0.11:9080"], config.Cluster("outbound|9080|v1|reviews.default.svc.cluster.local").Endpoints.Select(e => e.ToString()));
        Assert.Equal(["10.244.0.12:9080"], config.Cluster("outbound|9080|v2|reviews.default.svc.cluster.local").Endpoints.Select(e => e.ToString()));

        // The cluster IP is a VIP of the service; the short name and the VIP route to it.
        var table = config.Table("9080");
        var vhost = table.VirtualHost("reviews.default.svc.cluster.local:9080");
        Assert.Contains("reviews", vhost.Domains);
        Assert.Contains("10.96.14.7", vhost.Domains);

        // The pod's security.istio.io/tlsMode label makes auto mTLS use Istio's certificate toward that endpoint.
        Assert.True(cluster.AutoMtls);
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/bookinfo-reviews"], cluster.AutoMtlsSettings!.SubjectAltNames);
    }

    [Theory]
    [InlineData("http", null, 9080, UpstreamHttpProtocol.Http1, true)]
    [InlineData("grpc-api", null, 9080, UpstreamHttpProtocol.Http2, true)]
    [InlineData("web", "kubernetes.io/h2c", 9080, UpstreamHttpProtocol.Http2, true)] // appProtocol wins over the name
    [InlineData("http-legacy", "tcp", 9080, null, false)]
    [InlineData("database", null, 3306, null, false)] // a well-known port without a protocol name is TCP, not sniffed
    public void A_port_protocol_comes_from_app_protocol_else_the_name_as_istio_converts_it(string name, string? appProtocol, int port, UpstreamHttpProtocol? http, bool hasRouteTable)
    {
        var portLine = $"- name: {name}\n    port: {port}\n    targetPort: 8080\n" + (appProtocol is null ? "" : $"    appProtocol: \"{appProtocol}\"\n");
        var config = Config($$$"""
            apiVersion: v1
            kind: Service
            metadata: {name: api}
            spec:
              clusterIP: 10.96.0.20
              selector: {app: api}
              ports:
              {{{portLine}}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: api-0, labels: {app: api}}
            spec: {containers: [{name: api}]}
            status: {podIP: 10.244.1.5}
            """);

        var cluster = config.Cluster($"outbound|{port}||api.default.svc.cluster.local");
        Assert.Equal([$"10.244.1.5:8080"], cluster.Endpoints.Select(e => e.ToString()));
        if (http is { } expected)
        {
            Assert.Equal(expected, cluster.HttpProtocol);
        }

        Assert.Equal(hasRouteTable, config.FindRouteTable(port.ToString(System.Globalization.CultureInfo.InvariantCulture)) is not null);
    }

    [Fact]
    public void Without_slices_the_ready_pods_a_selector_selects_are_the_endpoints_on_their_named_target_port()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: ratings}
            spec:
              clusterIP: 10.96.0.30
              ports: [{name: http, port: 9080, targetPort: web}]
              selector: {app: ratings}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: ratings-a, labels: {app: ratings, version: v1}}
            spec: {containers: [{name: ratings, ports: [{name: web, containerPort: 9081}]}]}
            status: {phase: Running, podIP: 10.244.2.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: ratings-b, labels: {app: ratings, version: v1}}
            spec: {containers: [{name: ratings, ports: [{name: web, containerPort: 9082}]}]}
            status: {phase: Pending, podIP: 10.244.2.2}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: details-a, labels: {app: details}}
            spec: {containers: [{name: details, ports: [{name: web, containerPort: 9083}]}]}
            status: {podIP: 10.244.2.3}
            """);

        Assert.Equal(["10.244.2.1:9081"], config.Cluster("outbound|9080||ratings.default.svc.cluster.local").Endpoints.Select(e => e.ToString()));
    }

    [Fact]
    public void An_endpoints_object_lists_ready_addresses_and_leaves_out_the_not_ready()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: legacy, namespace: shop}
            spec:
              clusterIP: 10.96.0.40
              ports: [{name: http-main, port: 80}, {name: tcp-admin, port: 7000}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: legacy, namespace: shop}
            subsets:
            - addresses: [{ip: 10.0.5.1}, {ip: 10.0.5.2}]
              notReadyAddresses: [{ip: 10.0.5.3}]
              ports: [{name: http-main, port: 8080}, {name: tcp-admin, port: 7001}]
            """);

        Assert.Equal(["10.0.5.1:8080", "10.0.5.2:8080"], config.Cluster("outbound|80||legacy.shop.svc.cluster.local").Endpoints.Select(e => e.ToString()));
        Assert.Equal(["10.0.5.1:7001", "10.0.5.2:7001"], config.Cluster("outbound|7000||legacy.shop.svc.cluster.local").Endpoints.Select(e => e.ToString()));
    }

    [Fact]
    public void A_headless_service_passes_through_to_the_original_destination()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: db}
            spec:
              clusterIP: None
              ports: [{name: tcp, port: 5432}]
              selector: {app: db}
            """);

        Assert.Equal(ClusterDiscoveryType.OriginalDst, config.Cluster("outbound|5432||db.default.svc.cluster.local").Type);
    }

    [Fact]
    public void An_external_name_service_is_an_alias_of_the_service_it_names()
    {
        // Istio 1.21 on (ENABLE_EXTERNAL_NAME_ALIAS): the alias host is matched wherever the target's is; its ports are
        // ignored; an alias of a name no service has does nothing.
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: payments-v2, namespace: billing}
            spec:
              clusterIP: 10.96.0.80
              ports: [{name: http, port: 8080}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: payments}
            spec:
              type: ExternalName
              externalName: payments-v2.billing.svc.cluster.local
              ports: [{name: http, port: 80}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: search}
            spec:
              type: ExternalName
              externalName: www.example.com
            """);

        var vhost = config.Table("8080").VirtualHost("payments-v2.billing.svc.cluster.local:8080");
        Assert.Contains("payments.default.svc.cluster.local", vhost.Domains);
        Assert.Contains("payments:8080", vhost.Domains);
        Assert.Null(config.FindCluster("outbound|80||payments.default.svc.cluster.local"));
        Assert.DoesNotContain(config.Clusters, c => c.Name.Contains("search.default", StringComparison.Ordinal));
    }

    [Fact]
    public void The_export_to_annotation_hides_a_service_from_other_namespaces()
    {
        const string yaml = """
            apiVersion: v1
            kind: Service
            metadata:
              name: internal
              namespace: billing
              annotations: {networking.istio.io/exportTo: "."}
            spec:
              clusterIP: 10.96.0.50
              ports: [{name: http, port: 8080}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: internal, namespace: billing}
            subsets: [{addresses: [{ip: 10.0.6.1}], ports: [{name: http, port: 8080}]}]
            """;

        Assert.Null(Config(yaml).FindCluster("outbound|8080||internal.billing.svc.cluster.local"));
        var billing = Productpage with { Namespace = "billing" };
        Assert.NotNull(Config(yaml, billing).FindCluster("outbound|8080||internal.billing.svc.cluster.local"));
    }

    [Fact]
    public void A_service_whose_selector_matches_this_workload_gives_it_an_inbound_chain_on_the_target_port()
    {
        var reviews = Productpage with { Labels = Labels.From(("app", "reviews"), ("version", "v1")), InstanceIps = ["10.244.9.9"] };
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews}
            spec:
              clusterIP: 10.96.0.60
              ports: [{name: http, port: 80, targetPort: 9080}]
              selector: {app: reviews}
            """, reviews);

        var chain = config.Listener(ListenerNames.VirtualInbound).FilterChains.Single(c => c.Name == "inbound|9080|http");
        Assert.Equal(9080, chain.Match.DestinationPort);
        Assert.Equal("reviews.default.svc.cluster.local", config.Cluster("inbound|9080||").Service!.Host);
    }

    [Fact]
    public void A_service_wins_a_host_a_service_entry_also_defines()
    {
        var result = Translate("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews-se}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.9.9.9}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews}
            spec:
              clusterIP: 10.96.0.70
              ports: [{name: http, port: 9080}]
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: reviews}
            subsets: [{addresses: [{ip: 10.244.0.11}], ports: [{name: http, port: 9080}]}]
            """);

        Assert.Equal(["10.244.0.11:9080"], result.Config!.Cluster("outbound|9080||reviews.default.svc.cluster.local").Endpoints.Select(e => e.ToString()));
        Assert.Contains(result.Warnings, w => w.Contains("ServiceEntry default/reviews-se: host reviews.default.svc.cluster.local is also defined by Service default/reviews (1 endpoints), which is used", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_type_in_a_field_the_registry_reads_is_refused_with_its_path()
    {
        var parsed = IstioYamlParser.Parse("""
            apiVersion: v1
            kind: Service
            metadata: {name: broken}
            spec:
              ports: [{name: http, port: eighty}]
            """, "svc.yaml");

        var error = Assert.Single(parsed.Errors);
        Assert.Equal("Service default/broken", error.Resource);
        Assert.Equal("spec.ports[0].port", error.Field);
    }

    [Fact]
    public void A_service_entry_workload_selector_selects_ready_pods_on_the_entrys_target_ports()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: legacy-api}
            spec:
              hosts: [api.legacy.internal]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
              workloadSelector: {labels: {app: legacy-api}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: legacy-api-0, labels: {app: legacy-api, version: v1}}
            spec: {serviceAccountName: legacy, containers: [{name: api}]}
            status: {phase: Running, podIP: 10.244.3.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: legacy-api-1, labels: {app: legacy-api, version: v1}}
            spec: {containers: [{name: api}]}
            status: {phase: Running, podIP: 10.244.3.2, conditions: [{type: Ready, status: "False"}]}
            """);

        var endpoint = Assert.Single(config.Cluster("outbound|80||api.legacy.internal").Endpoints);
        Assert.Equal(("10.244.3.1:8080", "legacy", "v1"), (endpoint.ToString(), endpoint.ServiceAccount, endpoint.Labels["version"]));
    }

    [Fact]
    public void A_service_selector_selects_workload_entries_too()
    {
        // PILOT_ENABLE_K8S_SELECT_WORKLOAD_ENTRIES: a VM's WorkloadEntry joins the Service its labels match.
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: ratings}
            spec:
              clusterIP: 10.96.0.90
              ports: [{name: http, port: 9080}]
              selector: {app: ratings}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: ratings-vm}
            spec:
              address: 10.0.9.1
              labels: {app: ratings, version: vm}
              serviceAccount: ratings-vm
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: details-vm}
            spec:
              address: 10.0.9.2
              labels: {app: details}
            """);

        var endpoint = Assert.Single(config.Cluster("outbound|9080||ratings.default.svc.cluster.local").Endpoints);
        Assert.Equal(("10.0.9.1:9080", "vm", "ratings-vm"), (endpoint.ToString(), endpoint.Labels["version"], endpoint.ServiceAccount));
    }
}
