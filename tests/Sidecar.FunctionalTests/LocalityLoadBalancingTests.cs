using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Istio's locality load balancing on a running sidecar (DestinationRule loadBalancer.localityLbSetting, the proxy's
/// locality from --locality): failover to the next locality when outlier detection ejects the local endpoint, and
/// distribute's percentages across localities.
/// </summary>
public sealed class LocalityLoadBalancingTests
{
    [Fact]
    public async Task Traffic_stays_in_the_proxys_zone_and_fails_over_to_the_next_zone_when_the_local_endpoint_is_ejected()
    {
        var failing = false;
        await using var local = await TestBackend.StartAsync("zone1", async (context, _) =>
        {
            context.Response.StatusCode = Volatile.Read(ref failing) ? 503 : 200;
            await context.Response.WriteAsync("zone1");
        });
        await using var sameRegion = await TestBackend.StartAsync("zone2");
        await using var otherRegion = await TestBackend.StartAsync("us-east");
        using var config = new ConfigDirectory();
        config.Write("reviews.yaml", Reviews(
            """
            outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 5m, maxEjectionPercent: 100}
            """,
            (otherRegion, "us-east/zone1"), (sameRegion, "us-west/zone2"), (local, "us-west/zone1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, arguments: ["--locality", "us-west/zone1"]);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("zone1", await BodyAsync(sidecar));
        }

        // One 503 ejects the only endpoint of priority 0 (same zone); Istio's default retry (retriable 503) already
        // lands in the same region's other zone, which then takes everything.
        Volatile.Write(ref failing, true);
        var localBefore = local.RequestCount;
        Assert.Equal("zone2", await BodyAsync(sidecar));
        Assert.Equal(localBefore + 1, local.RequestCount);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("zone2", await BodyAsync(sidecar));
        }

        Assert.Equal(localBefore + 1, local.RequestCount);
        Assert.Equal(0, otherRegion.RequestCount);
    }

    [Fact]
    public async Task Distribute_splits_traffic_by_the_percentages_of_the_localities_it_names_and_drops_the_others()
    {
        await using var zone1 = await TestBackend.StartAsync("zone1");
        await using var zone2 = await TestBackend.StartAsync("zone2");
        await using var east = await TestBackend.StartAsync("us-east");
        using var config = new ConfigDirectory();
        config.Write("reviews.yaml", Reviews(
            """
            loadBalancer:
              localityLbSetting:
                distribute:
                - from: us-west/zone1/*
                  to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}
            """,
            (zone1, "us-west/zone1"), (zone2, "us-west/zone2"), (east, "us-east/zone1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, arguments: ["--locality", "us-west/zone1"]);

        const int n = 1000;
        for (var i = 0; i < n; i++)
        {
            using var response = await sidecar.SendAsync("reviews:9080", "/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Binomial(1000, 0.2): mean 200, sd ~12.6; accept +-5 sd. us-east is named by no "to": it gets nothing.
        Assert.InRange(zone2.RequestCount, 137, 263);
        Assert.Equal(n, zone1.RequestCount + zone2.RequestCount);
        Assert.Equal(0, east.RequestCount);
    }

    /// <summary>The reviews ServiceEntry with one endpoint per backend in its locality, and a DestinationRule with the traffic policy.</summary>
    private static string Reviews(string trafficPolicy, params (TestBackend Backend, string Locality)[] endpoints)
    {
        var lines = string.Join("\n", endpoints.Select(e => $"  - {{address: 127.0.0.1, ports: {{http: {e.Backend.Port}}}, locality: {e.Locality}}}"));
        var policy = string.Join("\n", trafficPolicy.Split('\n').Select(line => "    " + line));
        return $$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints:
            {{lines}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews.default.svc.cluster.local
              trafficPolicy:
            {{policy}}
            """;
    }

    private static async Task<string> BodyAsync(SidecarProcess sidecar)
    {
        using var response = await sidecar.SendAsync("reviews:9080", "/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
