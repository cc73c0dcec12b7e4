using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Kubernetes;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Dns;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Dns;

/// <summary>
/// The DNS proxy's name table, as istiod's <c>BuildNameTable</c> (pkg/dns/server/name_table.go) builds it from the
/// services of the proxy's SidecarScope: VIPs that are IPs; for a headless service (no VIP, resolution NONE) its
/// endpoints' addresses; nothing for a service with neither; a Kubernetes service's name and namespace.
/// </summary>
public sealed class NameTableTests
{
    private static NameInfoConfig Name(ProxyConfig config, string host) =>
        config.NameTable.FirstOrDefault(n => n.Host == host)
        ?? throw new Xunit.Sdk.XunitException($"no name {host}; have: {string.Join(", ", config.NameTable.Select(n => n.Host))}");

    private static void Absent(ProxyConfig config, string host) =>
        Assert.DoesNotContain(config.NameTable, n => n.Host == host);

    [Fact]
    public void A_kubernetes_service_answers_its_cluster_ip_with_its_name_and_namespace()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec:
              clusterIP: 10.96.14.7
              clusterIPs: [10.96.14.7]
              ports: [{name: http, port: 9080, targetPort: 9080}]
              selector: {app: reviews}
            """);

        var name = Name(config, "reviews.default.svc.cluster.local");
        Assert.Equal(["10.96.14.7"], name.Ips);
        Assert.Equal(NameInfoConfig.KubernetesRegistry, name.Registry);
        Assert.Equal("reviews", name.ShortName); // the agent derives reviews, reviews.default, reviews.default.svc
        Assert.Equal("default", name.Namespace);
        Assert.Empty(name.AltHosts);
    }

    [Fact]
    public void A_dual_stack_service_answers_every_cluster_ip()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: ratings, namespace: default}
            spec:
              clusterIP: 10.96.0.51
              clusterIPs: [10.96.0.51, "fd00:10:96::51"]
              ipFamilies: [IPv4, IPv6]
              ipFamilyPolicy: RequireDualStack
              ports: [{name: http, port: 9080}]
              selector: {app: ratings}
            """);

        Assert.Equal(["10.96.0.51", "fd00:10:96::51"], Name(config, "ratings.default.svc.cluster.local").Ips);
    }

    [Fact]
    public void A_service_of_another_namespace_carries_that_namespace()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: ledger, namespace: billing}
            spec:
              clusterIP: 10.96.0.60
              ports: [{name: grpc, port: 7070}]
              selector: {app: ledger}
            """);

        var name = Name(config, "ledger.billing.svc.cluster.local");
        Assert.Equal("ledger", name.ShortName);
        Assert.Equal("billing", name.Namespace);
    }

    [Fact]
    public void A_headless_service_answers_its_ready_endpoints_from_its_endpoint_slice()
    {
        // BuildNameTable: "For all k8s headless services, populate the dns table with the endpoint IPs as k8s does."
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: mysql, namespace: default}
            spec:
              clusterIP: None
              clusterIPs: [None]
              ports: [{name: tcp-mysql, port: 3306}]
              selector: {app: mysql}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: mysql-abcde
              namespace: default
              labels: {kubernetes.io/service-name: mysql}
            addressType: IPv4
            endpoints:
            - addresses: [10.244.0.21]
              conditions: {ready: true}
            - addresses: [10.244.0.22]
              conditions: {ready: true}
            - addresses: [10.244.0.23]
              conditions: {ready: false, serving: false, terminating: true}
            ports:
            - {name: tcp-mysql, port: 3306}
            """);

        var name = Name(config, "mysql.default.svc.cluster.local");
        Assert.Equal(["10.244.0.21", "10.244.0.22"], name.Ips.Order(StringComparer.Ordinal));
        Assert.Equal(NameInfoConfig.KubernetesRegistry, name.Registry);
        Assert.Equal("mysql", name.ShortName);
        Assert.Equal("default", name.Namespace);
    }

    [Fact]
    public void A_headless_service_without_slices_answers_the_ready_pods_it_selects()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: cache, namespace: default}
            spec:
              clusterIP: None
              ports: [{name: tcp, port: 6379}]
              selector: {app: cache}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cache-0, namespace: default, labels: {app: cache}}
            spec: {containers: [{name: redis}]}
            status: {podIP: 10.244.1.10, conditions: [{type: Ready, status: "True"}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cache-1, namespace: default, labels: {app: cache}}
            spec: {containers: [{name: redis}]}
            status: {podIP: 10.244.1.11, conditions: [{type: Ready, status: "True"}]}
            """);

        Assert.Equal(["10.244.1.10", "10.244.1.11"], Name(config, "cache.default.svc.cluster.local").Ips.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_headless_service_without_endpoints_is_left_out()
    {
        // "could not reliably determine the addresses of endpoints of headless service": continue.
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: empty, namespace: default}
            spec:
              clusterIP: None
              ports: [{name: tcp, port: 5000}]
              selector: {app: nothing-matches}
            """);

        Absent(config, "empty.default.svc.cluster.local");
    }

    [Fact]
    public void A_service_entry_answers_its_addresses_but_not_its_cidrs_and_has_no_short_name()
    {
        // BuildNameTable: "Filter out things we cannot parse as IP. Generally this means CIDRs".
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: partners, namespace: default}
            spec:
              hosts: [api.partner.example]
              addresses: [240.240.0.10, 10.20.0.0/16, "2001:db8::10"]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 443, name: tls, protocol: TLS}]
              endpoints: [{address: 203.0.113.10}]
            """);

        var name = Name(config, "api.partner.example");
        Assert.Equal(["240.240.0.10", "2001:db8::10"], name.Ips);
        Assert.Equal(NameInfoConfig.ExternalRegistry, name.Registry);
        Assert.Null(name.ShortName);
        Assert.Null(name.Namespace);
    }

    [Fact]
    public void A_service_entry_with_only_a_cidr_is_left_out()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: range, namespace: default}
            spec:
              hosts: [range.example]
              addresses: [10.30.0.0/16]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 5432, name: tcp, protocol: TCP}]
              endpoints: [{address: 10.30.0.5}]
            """);

        Absent(config, "range.example");
    }

    [Fact]
    public void A_single_address_cidr_is_an_address()
    {
        // Istio's ServiceEntry conversion: "/32 mask. Remove the /32 and make it a normal IP address".
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: one, namespace: default}
            spec:
              hosts: [one.example]
              addresses: [10.30.0.5/32, "2001:db8::5/128", 10.31.0.0/16]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 5432, name: tcp, protocol: TCP}]
              endpoints: [{address: 10.30.0.5}]
            """);

        Assert.Equal(["10.30.0.5", "2001:db8::5"], Name(config, "one.example").Ips);
    }

    [Fact]
    public void A_resolution_NONE_service_entry_with_only_a_cidr_is_not_headless_and_is_left_out()
    {
        // BuildNameTable takes endpoints only for a headless service (its address 0.0.0.0); a CIDR address is not
        // an IP, so the entry has no IPs and the agent skips it.
        var config = Config(NoneEntryWithWorkloads.Replace("{{ADDRESSES}}", "addresses: [10.50.0.0/16]", StringComparison.Ordinal));

        Absent(config, "db.internal.example");
    }

    [Fact]
    public void A_service_entry_under_svc_cluster_local_is_external_without_short_forms()
    {
        // Only Kubernetes services carry Shortname and Namespace; the agent answers a ServiceEntry by its host alone.
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: legacy, namespace: default}
            spec:
              hosts: [legacy.default.svc.cluster.local]
              addresses: [240.240.0.20]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints: [{address: 10.1.2.3}]
            """);

        var name = Name(config, "legacy.default.svc.cluster.local");
        Assert.Equal(NameInfoConfig.ExternalRegistry, name.Registry);
        Assert.Null(name.ShortName);
        Assert.Null(name.Namespace);
    }

    [Theory]
    [InlineData("DNS")]
    [InlineData("DNS_ROUND_ROBIN")]
    [InlineData("STATIC")]
    public void A_service_entry_without_addresses_and_not_resolution_NONE_is_left_to_the_nameservers(string resolution)
    {
        var config = Config($$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: google, namespace: default}
            spec:
              hosts: [www.google.com]
              location: MESH_EXTERNAL
              resolution: {{resolution}}
              ports: [{number: 443, name: tls, protocol: TLS}]
              endpoints: [{address: {{(resolution == "STATIC" ? "142.250.0.1" : "www.google.com")}}}]
            """);

        Absent(config, "www.google.com");
    }

    // Istio's validation refuses inline endpoints with resolution NONE: a NONE entry's endpoints are the
    // WorkloadEntries (and pods) its workloadSelector selects.
    private const string NoneEntryWithWorkloads = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: db, namespace: default}
        spec:
          hosts: [db.internal.example]
          {{ADDRESSES}}
          location: MESH_INTERNAL
          resolution: NONE
          ports: [{number: 5432, name: tcp, protocol: TCP}]
          workloadSelector: {labels: {app: db}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: db-vm-1, namespace: default}
        spec: {address: 10.50.0.1, labels: {app: db}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: db-vm-2, namespace: default}
        spec: {address: 10.50.0.2, labels: {app: db}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: db-vm-dns, namespace: default}
        spec: {address: db-vm-3.internal.example, labels: {app: db}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: other, namespace: default}
        spec: {address: 10.50.0.9, labels: {app: other}}
        """;

    [Fact]
    public void A_resolution_NONE_service_entry_without_addresses_answers_its_endpoints()
    {
        var config = Config(NoneEntryWithWorkloads.Replace("{{ADDRESSES}}", "", StringComparison.Ordinal));

        var name = Name(config, "db.internal.example");
        Assert.Equal(["10.50.0.1", "10.50.0.2"], name.Ips.Order(StringComparer.Ordinal)); // a host name is not an address to answer
        Assert.Equal(NameInfoConfig.ExternalRegistry, name.Registry);
        Assert.Null(name.ShortName);
        Assert.Null(name.Namespace);
    }

    [Fact]
    public void A_resolution_NONE_service_entry_with_addresses_answers_the_addresses_not_the_endpoints()
    {
        var config = Config(NoneEntryWithWorkloads.Replace("{{ADDRESSES}}", "addresses: [240.240.0.30]", StringComparison.Ordinal));

        Assert.Equal(["240.240.0.30"], Name(config, "db.internal.example").Ips);
    }

    [Fact]
    public void A_resolution_NONE_service_entry_without_addresses_or_endpoints_is_left_out()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: anything, namespace: default}
            spec:
              hosts: ["*.passthrough.example"]
              location: MESH_EXTERNAL
              resolution: NONE
              ports: [{number: 443, name: tls, protocol: TLS}]
            """);

        Absent(config, "*.passthrough.example");
    }

    [Fact]
    public void A_wildcard_service_entry_with_an_address_is_in_the_table_as_written()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: wild, namespace: default}
            spec:
              hosts: ["*.wild.example"]
              addresses: [240.240.0.40]
              location: MESH_EXTERNAL
              resolution: NONE
              ports: [{number: 443, name: tls, protocol: TLS}]
            """);

        Assert.Equal(["240.240.0.40"], Name(config, "*.wild.example").Ips);
    }

    private const string TwoServices = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          clusterIP: 10.96.0.70
          ports: [{name: http, port: 9080}]
          selector: {app: reviews}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: default}
        spec:
          clusterIP: 10.96.0.71
          ports: [{name: http, port: 9080}]
          selector: {app: ratings}
        """;

    [Fact]
    public void A_sidecar_whose_egress_hosts_exclude_a_service_leaves_it_out()
    {
        // BuildNameTable reads cfg.Node.SidecarScope.Services().
        var config = Config(TwoServices + """

            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress:
              - hosts: ["./reviews.default.svc.cluster.local"]
            """);

        Assert.Equal(["10.96.0.70"], Name(config, "reviews.default.svc.cluster.local").Ips);
        Absent(config, "ratings.default.svc.cluster.local");
    }

    [Fact]
    public void Without_a_sidecar_every_visible_service_is_in_the_table_sorted_by_host()
    {
        var config = Config(TwoServices);

        Assert.Equal(["ratings.default.svc.cluster.local", "reviews.default.svc.cluster.local"], config.NameTable.Select(n => n.Host));
    }

    [Fact]
    public void A_service_exported_only_to_its_own_namespace_is_not_in_another_namespaces_table()
    {
        const string yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ledger, namespace: billing}
            spec:
              hosts: [ledger.billing.example]
              addresses: [240.240.0.50]
              exportTo: ["."]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 8080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.3.0.1}]
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: payments
              namespace: billing
              annotations: {networking.istio.io/exportTo: "."}
            spec:
              clusterIP: 10.96.0.80
              ports: [{name: http, port: 8080}]
              selector: {app: payments}
            """;

        var productpage = Config(yaml);
        Absent(productpage, "ledger.billing.example");
        Absent(productpage, "payments.billing.svc.cluster.local");

        var billing = Config(yaml, Productpage with { Namespace = "billing", PodName = "ledger-0", WorkloadName = "ledger" });
        Assert.Equal(["240.240.0.50"], Name(billing, "ledger.billing.example").Ips);
        Assert.Equal(["10.96.0.80"], Name(billing, "payments.billing.svc.cluster.local").Ips);
    }

    [Fact]
    public void A_kubernetes_service_decorated_by_a_service_entry_for_its_host_is_the_kubernetes_entry()
    {
        // BuildNameTable: "If the previous SE is a decorator of the k8s service, give precedence to the k8s service".
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews-extra, namespace: default}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              addresses: [240.240.0.60]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: 10.9.9.9}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: default}
            spec:
              clusterIP: 10.96.0.90
              ports: [{name: http, port: 9080}]
              selector: {app: reviews}
            """);

        var name = Assert.Single(config.NameTable, n => n.Host == "reviews.default.svc.cluster.local");
        Assert.Equal(NameInfoConfig.KubernetesRegistry, name.Registry);
        Assert.Equal(["10.96.0.90"], name.Ips);
        Assert.Equal("reviews", name.ShortName);
        Assert.Equal("default", name.Namespace);
    }

    [Fact]
    public void A_service_entry_with_several_hosts_puts_each_host_in_the_table()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: multi, namespace: default}
            spec:
              hosts: [a.multi.example, b.multi.example]
              addresses: [240.240.0.70]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints: [{address: 10.7.0.1}]
            """);

        Assert.Equal(["240.240.0.70"], Name(config, "a.multi.example").Ips);
        Assert.Equal(["240.240.0.70"], Name(config, "b.multi.example").Ips);
    }

    // NameTableBuilder on its own: the merges BuildNameTable makes when one host comes from several services.

    private static MeshService Service(string host, ResourceKind kind, params string[] vips) => new()
    {
        Host = host,
        Namespace = "default",
        Ports = [new MeshServicePort(80, "http", PortProtocol.Http, null)],
        Vips = vips,
        Resolution = ServiceResolution.Static,
        Source = new IstioResource
        {
            Kind = kind,
            Metadata = new ResourceMetadata { Name = host.Split('.')[0] },
            Source = new SourceLocation("test.yaml", 1),
            Spec = kind == ResourceKind.Service ? new KubernetesServiceSpec() : new ServiceEntrySpec(),
        },
    };

    [Fact]
    public void Two_service_entries_for_one_host_answer_the_addresses_of_both()
    {
        // BuildNameTable: "If the SE has multiple addresses(vips) specified, merge the ips".
        var table = NameTableBuilder.Build(
        [
            Service("api.example.com", ResourceKind.ServiceEntry, "240.240.0.1", "240.240.0.2"),
            Service("api.example.com", ResourceKind.ServiceEntry, "240.240.0.2", "240.240.0.3"),
        ]);

        var name = Assert.Single(table);
        Assert.Equal(["240.240.0.1", "240.240.0.2", "240.240.0.3"], name.Ips);
        Assert.Equal(NameInfoConfig.ExternalRegistry, name.Registry);
    }

    [Fact]
    public void A_kubernetes_service_replaces_a_service_entry_for_its_host_and_is_not_replaced_by_one()
    {
        var seFirst = NameTableBuilder.Build(
        [
            Service("reviews.default.svc.cluster.local", ResourceKind.ServiceEntry, "240.240.0.9"),
            Service("reviews.default.svc.cluster.local", ResourceKind.Service, "10.96.0.9"),
        ]);
        var kubernetesFirst = NameTableBuilder.Build(
        [
            Service("reviews.default.svc.cluster.local", ResourceKind.Service, "10.96.0.9"),
            Service("reviews.default.svc.cluster.local", ResourceKind.ServiceEntry, "240.240.0.9"),
        ]);

        foreach (var table in new[] { seFirst, kubernetesFirst })
        {
            var name = Assert.Single(table);
            Assert.Equal(NameInfoConfig.KubernetesRegistry, name.Registry);
            Assert.Equal(["10.96.0.9"], name.Ips);
            Assert.Equal("reviews", name.ShortName);
            Assert.Equal("default", name.Namespace);
        }
    }

    [Fact]
    public void A_clusterset_local_host_gets_no_name_or_namespace()
    {
        // "This is not done for Kubernetes Multi-Cluster Services (MCS) hosts, in order to avoid conflicting with
        // the entries for the regular (cluster.local) service."
        var name = Assert.Single(NameTableBuilder.Build([Service("reviews.default.svc.clusterset.local", ResourceKind.Service, "10.96.0.99")]));

        Assert.Equal(NameInfoConfig.KubernetesRegistry, name.Registry);
        Assert.Null(name.ShortName);
        Assert.Null(name.Namespace);
    }

    [Fact]
    public void Duplicate_vips_are_answered_once()
    {
        var name = Assert.Single(NameTableBuilder.Build([Service("api.example.com", ResourceKind.ServiceEntry, "240.240.0.1", "240.240.0.1")]));

        Assert.Equal(["240.240.0.1"], name.Ips);
    }

    [Fact]
    public void A_statefulset_pod_under_its_headless_service_gets_its_own_name_as_istiod_gives_it()
    {
        // istiod's BuildNameTable: "<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>" for each endpoint
        // whose pod has a subdomain (i.e. mysql-0.mysql.default.svc.cluster.local), besides the service's own name.
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: mysql, namespace: default}
            spec:
              clusterIP: None
              ports: [{name: tcp-mysql, port: 3306}]
              selector: {app: mysql}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: mysql-x1
              namespace: default
              labels: {kubernetes.io/service-name: mysql}
            addressType: IPv4
            endpoints:
            - addresses: [10.1.0.20]
              hostname: mysql-0
              conditions: {ready: true}
              targetRef: {kind: Pod, name: mysql-0, namespace: default}
            - addresses: [10.1.0.21]
              hostname: mysql-1
              conditions: {ready: true}
              targetRef: {kind: Pod, name: mysql-1, namespace: default}
            ports: [{name: tcp-mysql, port: 3306}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: mysql-0, namespace: default, labels: {app: mysql}}
            spec:
              hostname: mysql-0
              subdomain: mysql
              containers: [{name: mysql, image: mysql}]
            status: {phase: Running, podIP: 10.1.0.20}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: mysql-1, namespace: default, labels: {app: mysql}}
            spec:
              containers: [{name: mysql, image: mysql}]
            status: {phase: Running, podIP: 10.1.0.21}
            """);

        var pod = Name(config, "mysql-0.mysql.default.svc.cluster.local");
        Assert.Equal(["10.1.0.20"], pod.Ips);
        Assert.Equal(NameInfoConfig.KubernetesRegistry, pod.Registry);
        Assert.Equal(("mysql-0.mysql", "default"), (pod.ShortName, pod.Namespace));
        // mysql-1's pod has no subdomain: kube-dns gives it no name, nor does istiod.
        Absent(config, "mysql-1.mysql.default.svc.cluster.local");
        Assert.Equal(["10.1.0.20", "10.1.0.21"], Name(config, "mysql.default.svc.cluster.local").Ips.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Pods_found_by_the_selector_alone_are_named_by_their_hostname_and_subdomain()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: kafka, namespace: data}
            spec:
              clusterIP: None
              ports: [{name: tcp-kafka, port: 9092}]
              selector: {app: kafka}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: kafka-0, namespace: data, labels: {app: kafka}}
            spec:
              hostname: kafka-0
              subdomain: kafka
              containers: [{name: kafka, image: kafka, ports: [{containerPort: 9092}]}]
            status: {phase: Running, podIP: 10.1.0.30, conditions: [{type: Ready, status: "True"}]}
            """);

        Assert.Equal(["10.1.0.30"], Name(config, "kafka-0.kafka.data.svc.cluster.local").Ips);
    }
}
