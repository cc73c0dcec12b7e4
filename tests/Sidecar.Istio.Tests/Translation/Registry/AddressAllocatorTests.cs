using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Registry;

/// <summary>
/// Address auto-allocation (Istio's DNS proxying with <c>ISTIO_META_DNS_AUTO_ALLOCATE</c>): a ServiceEntry host without
/// <c>addresses</c> gets a VIP from 240.240.0.0/16 that the DNS proxy answers and the listeners route, so two external
/// TCP services on one port no longer share the <c>0.0.0.0_port</c> listener.
/// </summary>
public sealed class AddressAllocatorTests
{
    // Istio's "External TCP services without VIPs" example: two TCP ServiceEntries on one port.
    private const string TwoTcpServices = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: external-svc-1, namespace: default}
        spec:
          hosts: [external-1.tcp-echo.example]
          ports: [{number: 9000, name: external-1, protocol: TCP}]
          resolution: DNS
          location: MESH_EXTERNAL
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: external-svc-2, namespace: default}
        spec:
          hosts: [external-2.tcp-echo.example]
          ports: [{number: 9000, name: external-2, protocol: TCP}]
          resolution: DNS
          location: MESH_EXTERNAL
        """;

    [Fact]
    public void ISTIO_META_DNS_AUTO_ALLOCATE_gives_each_tcp_service_entry_a_vip_answered_by_dns_and_a_listener_of_its_own()
    {
        var config = Config(TwoTcpServices, autoAllocateAddresses: true);

        Assert.Equal(["240.240.0.1"], Assert.Single(config.NameTable, n => n.Host == "external-1.tcp-echo.example").Ips);
        Assert.Equal(["240.240.0.2"], Assert.Single(config.NameTable, n => n.Host == "external-2.tcp-echo.example").Ips);
        var first = Assert.Single(config.Listeners, l => l.Name == "240.240.0.1_9000");
        var second = Assert.Single(config.Listeners, l => l.Name == "240.240.0.2_9000");
        Assert.Contains(first.FilterChains, c => c.Tcp?.Clusters.Any(t => t.Cluster == "outbound|9000||external-1.tcp-echo.example") == true);
        Assert.Contains(second.FilterChains, c => c.Tcp?.Clusters.Any(t => t.Cluster == "outbound|9000||external-2.tcp-echo.example") == true);
    }

    [Fact]
    public void Without_auto_allocation_the_entries_have_no_address_to_answer_and_share_the_port()
    {
        var config = Config(TwoTcpServices);

        Assert.Empty(config.NameTable);
        Assert.DoesNotContain(config.Listeners, l => l.Name.StartsWith("240.240.", StringComparison.Ordinal));
        Assert.Contains(config.Listeners, l => l.Name == "0.0.0.0_9000");
    }

    [Fact]
    public void An_http_service_entry_is_answered_with_its_vip_and_routed_by_it()
    {
        // Istio's DNS proxying task: address.internal with no addresses resolves to 240.240.0.1.
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-address, namespace: default}
            spec:
              hosts: [address.internal]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            """, autoAllocateAddresses: true);

        Assert.Equal(["240.240.0.1"], Assert.Single(config.NameTable, n => n.Host == "address.internal").Ips);
        var table = Assert.Single(config.RouteTables, t => t.Name == "80");
        Assert.Contains(table.VirtualHosts, v => v.Domains.Contains("address.internal") && v.Domains.Contains("240.240.0.1"));
    }

    [Fact]
    public void Wildcards_resolution_NONE_entries_with_addresses_opted_out_entries_and_kubernetes_services_keep_what_they_have()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: wildcard, namespace: default}
            spec:
              hosts: ["*.wild.example"]
              ports: [{number: 443, name: tls, protocol: TLS}]
              resolution: NONE
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: passthrough, namespace: default}
            spec:
              hosts: [none.example]
              ports: [{number: 5432, name: tcp, protocol: TCP}]
              resolution: NONE
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: addressed, namespace: default}
            spec:
              hosts: [addressed.example]
              addresses: [198.51.100.7]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: opted-out
              namespace: default
              annotations: {networking.istio.io/enable-autoallocate-ip: "false"}
            spec:
              hosts: [opted-out.example]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: headless, namespace: default}
            spec:
              clusterIP: None
              ports: [{name: tcp, port: 7000}]
            """, autoAllocateAddresses: true);

        Assert.DoesNotContain(config.NameTable, n => n.Ips.Any(ip => ip.StartsWith("240.240.", StringComparison.Ordinal)));
        Assert.Equal(["198.51.100.7"], Assert.Single(config.NameTable, n => n.Host == "addressed.example").Ips);
        Assert.DoesNotContain(config.NameTable, n => n.Host is "opted-out.example" or "none.example" or "*.wild.example");
    }

    [Fact]
    public void Addresses_follow_namespace_then_host_so_a_config_always_gets_the_same_ones()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: b, namespace: zeta}
            spec:
              hosts: [a.example]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: a, namespace: alpha}
            spec:
              hosts: [z.example, m.example]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            """, autoAllocateAddresses: true);

        Assert.Equal(["240.240.0.1"], Assert.Single(config.NameTable, n => n.Host == "m.example").Ips);
        Assert.Equal(["240.240.0.2"], Assert.Single(config.NameTable, n => n.Host == "z.example").Ips);
        Assert.Equal(["240.240.0.3"], Assert.Single(config.NameTable, n => n.Host == "a.example").Ips);
    }

    [Fact]
    public void An_address_istiod_wrote_into_the_entrys_status_is_kept_and_not_given_twice()
    {
        // kubectl get serviceentry -o yaml prints istiod's allocation (status.addresses) with its conditions.
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: allocated, namespace: default}
            spec:
              hosts: [Allocated.example]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            status:
              addresses:
              - {host: allocated.example, value: 240.240.0.1}
              - {host: allocated.example, value: "2001:2::f0f0:1"}
              conditions:
              - {type: Reconciled, status: "True", lastTransitionTime: "2026-12-01T10:00:00Z"}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: fresh, namespace: default}
            spec:
              hosts: [aaa.example]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            """, autoAllocateAddresses: true);

        Assert.Equal(["240.240.0.1"], Assert.Single(config.NameTable, n => n.Host == "allocated.example").Ips);
        Assert.Equal(["240.240.0.2"], Assert.Single(config.NameTable, n => n.Host == "aaa.example").Ips);
    }
}
