using System.Net;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Envoy's admin health-check switches and drain, as operators use them: <c>/healthcheck/fail</c> takes the proxy out of
/// rotation (DRAINING, readiness 503) until <c>/healthcheck/ok</c>; <c>/drain_listeners</c> closes connections but,
/// as in Envoy, leaves readiness alone.
/// </summary>
public sealed class AdminHealthCheckTests
{
    [Fact]
    public async Task Healthcheck_fail_and_ok_switch_readiness_and_drain_listeners_does_not()
    {
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        using var config = new ConfigDirectory();
        config.Write("services.yaml", Infrastructure.MeshYaml.Service("reviews", 9080, (backend, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        var client = sidecar.Client;

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.GetAsync($"{sidecar.AdminUrl}/healthcheck/fail")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"{sidecar.AdminUrl}/healthcheck/fail", null)).StatusCode);
        using (var ready = await client.GetAsync($"{sidecar.AdminUrl}/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("DRAINING\n", await ready.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(sidecar.HealthUrl)).StatusCode);
        using (var routed = await sidecar.SendAsync("reviews:9080", "/"))
        {
            Assert.Equal(HttpStatusCode.OK, routed.StatusCode); // out of rotation, still serving
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"{sidecar.AdminUrl}/healthcheck/ok", null)).StatusCode);
        Assert.Equal("LIVE\n", await client.GetStringAsync($"{sidecar.AdminUrl}/ready"));

        // drain_listeners: connections close after their response; the server stays LIVE.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"{sidecar.AdminUrl}/drain_listeners", null)).StatusCode);
        using (var drained = await sidecar.SendAsync("reviews:9080", "/"))
        {
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
            Assert.True(drained.Headers.ConnectionClose);
        }

        Assert.Equal("LIVE\n", await client.GetStringAsync($"{sidecar.AdminUrl}/ready"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(sidecar.HealthUrl)).StatusCode);
    }
}
