using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>A Sidecar's <c>outboundTrafficPolicy.egressProxy</c> on a running sidecar: ALLOW_ANY traffic to unknown hosts goes to the proxy.</summary>
public sealed class EgressProxyTests
{
    [Fact]
    public async Task A_request_to_a_host_outside_the_registry_goes_to_the_egress_proxy_with_its_authority()
    {
        await using var proxy = await TestBackend.StartAsync("egress-proxy");
        using var config = new ConfigDirectory();
        config.Write("egress.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: egress-proxy, namespace: default}
            spec:
              hosts: [egress-proxy.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 3128, name: http, protocol: HTTP}]
              endpoints: [{address: 127.0.0.1, ports: {http: {{{proxy.Port}}}}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              outboundTrafficPolicy:
                mode: ALLOW_ANY
                egressProxy: {host: egress-proxy, port: {number: 3128}}
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        using var response = await sidecar.SendAsync("api.example.org", "/v1/things");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("egress-proxy", await response.Content.ReadAsStringAsync());
        var received = Assert.Single(proxy.Received);
        Assert.Equal("api.example.org", received.Host);
        Assert.Equal("/v1/things", received.Path);
    }
}
