using static Sidecar.Istio.Tests.Validation.ValidationFixture;

namespace Sidecar.Istio.Tests.Validation;

public sealed class SidecarValidatorTests
{
    private static string Sidecar(string spec) => $"""
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {"{name: default}"}
        spec:
        {Indent(spec, 2)}
        """;

    [Fact]
    public void Egress_hosts_must_be_namespace_slash_host() =>
        SingleError(Sidecar("egress: [{hosts: [reviews.default.svc.cluster.local]}]"), "spec.egress[0].hosts[0]", "host must be of form namespace/dnsName");

    [Theory]
    [InlineData("./reviews", "short names (non FQDN) are not allowed")]
    [InlineData("*/*foo.example.com", "partial wildcard \"*foo.example.com\" not allowed")]
    public void Egress_hosts_are_fqdns_with_a_wildcard_only_as_a_whole_label(string host, string message) =>
        SingleError(Sidecar($"egress: [{{hosts: [\"{host}\"]}}]"), "spec.egress[0].hosts[0]", message);

    [Fact]
    public void Egress_hosts_in_Istios_documented_forms_are_valid() =>
        Assert.True(Validate(Sidecar("egress: [{hosts: [\"./*\", \"istio-system/*\", \"~/*\", \"*/*.example.com\", \"prod/reviews.prod.svc.cluster.local\"]}]")).IsValid);

    [Fact]
    public void The_catch_all_egress_listener_comes_last() =>
        SingleError(Sidecar("""
            egress:
            - hosts: ["./*"]
            - port: {number: 9080, protocol: HTTP, name: http}
              bind: 127.0.0.2
              hosts: ["./*"]
            """), "spec.egress[0]", "the egress listener with empty port should be the last listener");

    [Fact]
    public void Default_endpoints_are_loopback_or_wildcard_with_a_port() =>
        SingleError(Sidecar("""
            ingress:
            - port: {number: 9080, protocol: HTTP, name: http}
              defaultEndpoint: 10.0.0.5:8080
            """), "spec.ingress[0].defaultEndpoint", "defaultEndpoint must be of form 127.0.0.1:<port>");

    [Theory]
    [InlineData("unix:///var/run/app.sock")]
    [InlineData("unix://@app")]
    public void Unix_socket_default_endpoints_are_valid_as_an_absolute_path_or_an_abstract_name(string endpoint) =>
        Assert.True(Validate(Sidecar($$"""
            ingress:
            - port: {number: 9080, protocol: HTTP, name: http}
              defaultEndpoint: {{endpoint}}
            """)).IsValid);

    [Theory]
    [InlineData("unix://var/run/app.sock", "var/run/app.sock is not an absolute path to a file")]
    [InlineData("unix:///var/run/", "/var/run/ is not an absolute path to a file")]
    [InlineData("unix://", "unix address must not be empty")]
    public void Unix_socket_default_endpoints_follow_Istios_ValidateUnixAddress(string endpoint, string message) =>
        SingleError(Sidecar($$"""
            ingress:
            - port: {number: 9080, protocol: HTTP, name: http}
              defaultEndpoint: "{{endpoint}}"
            """), "spec.ingress[0].defaultEndpoint", message);

    [Fact]
    public void Ingress_ports_are_unique() =>
        SingleError(Sidecar("""
            ingress:
            - {port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: "127.0.0.1:8080"}
            - {port: {number: 9080, protocol: TCP, name: tcp}, defaultEndpoint: "127.0.0.1:8081"}
            """), "spec.ingress[1].port", "ports on IP bound listeners must be unique");

    [Fact]
    public void An_empty_sidecar_is_refused() =>
        SingleError(Sidecar("workloadSelector: {labels: {app: reviews}}"), "spec", "sidecar: empty configuration provided");
}
