using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// The source reporter's labels for requests that reach no mesh service: Istio's host-header fallback puts the
/// authority in destination_service, and the catch-all's name (BlackHoleCluster) or the authority (no route) in
/// destination_service_name, as Istio's "Monitoring Blocked and Passthrough External Service Traffic" relies on.
/// </summary>
public sealed class HostFallbackLabelsTests : IAsyncLifetime
{
    private TestBackend _reviews = null!;

    public async Task InitializeAsync() => _reviews = await TestBackend.StartAsync("reviews-v1");

    public async Task DisposeAsync() => await _reviews.DisposeAsync();

    [Fact]
    public async Task Blocked_and_unrouted_requests_are_labelled_with_their_authority()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("routes.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - match: [{uri: {prefix: /only}}]
                route: [{destination: {host: reviews}}]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, arguments: ["--outbound-traffic-policy", "REGISTRY_ONLY"]);

        using (var blocked = await sidecar.SendAsync("api.example.com", "/x"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, blocked.StatusCode);
        }

        using (var unrouted = await sidecar.SendAsync("reviews:9080", "/elsewhere"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unrouted.StatusCode);
        }

        var stats = sidecar.AdminUrl + "/stats/prometheus";
        List<PrometheusSample> samples = [];
        await Wait.UntilAsync(
            async () =>
            {
                samples = await PrometheusScrape.GetAsync(stats);
                return samples.Count(s => s.Name == "istio_requests_total") >= 2;
            },
            TimeSpan.FromSeconds(15),
            "both requests to be counted");
        var blockedSample = Assert.Single(samples, s => s.Name == "istio_requests_total" && s.Has(("response_code", "502")));
        Assert.Equal("api.example.com", blockedSample["destination_service"]);
        Assert.Equal("BlackHoleCluster", blockedSample["destination_service_name"]);
        var unroutedSample = Assert.Single(samples, s => s.Name == "istio_requests_total" && s.Has(("response_flags", "NR")));
        Assert.Equal("reviews:9080", unroutedSample["destination_service"]);
        Assert.Equal("reviews:9080", unroutedSample["destination_service_name"]);
    }
}
