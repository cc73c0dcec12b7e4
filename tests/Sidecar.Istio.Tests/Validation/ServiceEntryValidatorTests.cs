using static Sidecar.Istio.Tests.Validation.ValidationFixture;

namespace Sidecar.Istio.Tests.Validation;

public sealed class ServiceEntryValidatorTests
{
    private static string Entry(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {"{name: external}"}
        spec:
        {Indent(spec, 2)}
        """;

    [Fact]
    public void Hosts_are_required() =>
        SingleError(Entry("ports: [{number: 80, name: http, protocol: HTTP}]"), "spec.hosts", "service entry must have at least one host");

    [Fact]
    public void Static_endpoints_need_ip_addresses() =>
        SingleError(Entry("""
            hosts: [db.internal]
            resolution: STATIC
            ports: [{number: 5432, name: tcp, protocol: TCP}]
            addresses: [10.96.1.1]
            endpoints: [{address: db.example.com}]
            """), "spec.endpoints[0].address", "endpoint address \"db.example.com\" is not a valid IP address");

    [Fact]
    public void Istios_unix_domain_socket_example_is_valid() =>
        Assert.True(Validate(Entry("""
            hosts: [example.unix.local]
            location: MESH_EXTERNAL
            ports: [{number: 8001, name: http, protocol: HTTP}]
            resolution: STATIC
            endpoints: [{address: "unix:///var/run/example/socket"}, {address: "unix://@example"}]
            """)).IsValid);

    [Fact]
    public void Unix_socket_endpoints_take_exactly_one_service_port() =>
        SingleError(Entry("""
            hosts: [example.unix.local]
            ports: [{number: 8001, name: http, protocol: HTTP}, {number: 8002, name: http2, protocol: HTTP}]
            resolution: STATIC
            endpoints: [{address: "unix:///var/run/example/socket"}]
            """), "spec.ports", "exactly 1 service port required for unix socket endpoints");

    [Theory]
    [InlineData("{address: \"unix://var/run/socket\"}", "spec.endpoints[0].address", "var/run/socket is not an absolute path to a file")]
    [InlineData("{address: \"unix:///var/run/socket\", ports: {http: 8080}}", "spec.endpoints[0].ports", "unix endpoint unix:///var/run/socket must not include ports")]
    public void Unix_socket_endpoints_follow_Istios_rules(string endpoint, string field, string message) =>
        SingleError(Entry($$"""
            hosts: [example.unix.local]
            ports: [{number: 8001, name: http, protocol: HTTP}]
            resolution: STATIC
            endpoints: [{{endpoint}}]
            """), field, message);

    [Fact]
    public void Port_numbers_must_be_in_range() =>
        SingleError(Entry("""
            hosts: [api.example.com]
            resolution: DNS
            ports: [{number: 70000, name: http, protocol: HTTP}]
            """), "spec.ports[0].number", "port number 70000 must be in the range 1..65535");

    [Fact]
    public void Ports_need_unique_dns_label_names()
    {
        var result = Validate(Entry("""
            hosts: [api.example.com]
            resolution: DNS
            ports:
            - {number: 80, name: http, protocol: HTTP}
            - {number: 8080, name: http, protocol: HTTP}
            - {number: 8443, name: Web_TLS, protocol: TLS}
            """));
        Assert.Equal(["service entry port name \"http\" already defined", "invalid port name: Web_TLS"], result.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Upper_case_port_names_are_valid_as_in_Istio() =>
        Assert.True(Validate(Entry("""
            hosts: [api.example.com]
            resolution: DNS
            ports: [{number: 443, name: HTTPS, protocol: TLS}]
            """)).IsValid);

    [Fact]
    public void Unknown_protocols_are_refused() =>
        SingleError(Entry("""
            hosts: [api.example.com]
            resolution: DNS
            ports: [{number: 80, name: web, protocol: SPDY}]
            """), "spec.ports[0].protocol", "unsupported protocol: SPDY");

    [Fact]
    public void Resolution_none_takes_no_endpoints() =>
        SingleError(Entry("""
            hosts: [api.example.com]
            ports: [{number: 80, name: http, protocol: HTTP}]
            endpoints: [{address: 1.2.3.4}]
            """), "spec.endpoints", "no endpoints should be provided for resolution type none");

    [Fact]
    public void Dns_round_robin_takes_one_endpoint_at_most() =>
        SingleError(Entry("""
            hosts: [api.example.com]
            resolution: DNS_ROUND_ROBIN
            ports: [{number: 80, name: http, protocol: HTTP}]
            endpoints: [{address: a.example.com}, {address: b.example.com}]
            """), "spec.endpoints", "there must only be 0 or 1 endpoint");

    [Fact]
    public void Endpoint_ports_must_name_service_ports() =>
        SingleError(Entry("""
            hosts: [reviews.default.svc.cluster.local]
            resolution: STATIC
            ports: [{number: 9080, name: http, protocol: HTTP}]
            endpoints: [{address: 10.0.0.1, ports: {grpc: 9090}}]
            """), "spec.endpoints[0].ports.grpc", "endpoint port 9090 is not defined by the service entry");

    [Fact]
    public void Plain_tcp_cannot_tell_several_hosts_apart() =>
        SingleError(Entry("""
            hosts: [a.example.com, b.example.com]
            resolution: DNS
            ports: [{number: 5432, name: tcp, protocol: TCP}]
            """), "spec.ports", "multiple hosts provided with non-HTTP, non-TLS ports");
}
