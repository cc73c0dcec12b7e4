using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>The Telemetry API driving a running sidecar: a mesh-wide resource turns Envoy's access log on, live.</summary>
public sealed class TelemetryApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private TestBackend _reviews = null!;

    public async Task InitializeAsync() => _reviews = await TestBackend.StartAsync("reviews-v1");

    public async Task DisposeAsync() => await _reviews.DisposeAsync();

    [Fact]
    public async Task A_mesh_wide_Telemetry_with_the_envoy_provider_turns_on_the_access_log_without_a_restart()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        // Before the Telemetry resource: access logs are off (no accessLogFile in the mesh config).
        var before = Guid.NewGuid().ToString();
        using (var response = await sidecar.SendAsync("reviews:9080", "/reviews/1", configure: r => r.Headers.Add("x-request-id", before)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        config.Write("telemetry.yaml", """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging:
              - providers: [{name: envoy}]
            """);

        // Requests until one is logged: the push lands within the reload window, every later request is logged.
        string? logged = null;
        await Wait.UntilAsync(
            async () =>
            {
                var requestId = Guid.NewGuid().ToString();
                using var response = await sidecar.SendAsync("reviews:9080", "/reviews/1", configure: r => r.Headers.Add("x-request-id", requestId));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                try
                {
                    await sidecar.WaitForOutputAsync(requestId, TimeSpan.FromMilliseconds(500));
                    logged = requestId;
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            },
            Deadline,
            "a request to show up in the access log once the Telemetry resource is applied");

        // Lines are written in order: the request sent before the push, answered before the logged one, was not logged.
        Assert.DoesNotContain(before, sidecar.Output, StringComparison.Ordinal);
        Assert.Contains(sidecar.Output.Split('\n'), line => line.Contains(logged!, StringComparison.Ordinal) && line.Contains("\"GET /reviews/1 HTTP/1.1\" 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_access_log_filter_logs_only_the_requests_it_holds_for()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("telemetry.yaml", """
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging:
              - providers: [{name: envoy}]
                match: {mode: CLIENT}
                filter: {expression: "response.code >= 400 || request.headers['x-debug'] == 'on'"}
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var quiet = Guid.NewGuid().ToString();
        using (var response = await sidecar.SendAsync("reviews:9080", "/reviews/1", configure: r => r.Headers.Add("x-request-id", quiet)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var debug = Guid.NewGuid().ToString();
        using (var response = await sidecar.SendAsync("reviews:9080", "/reviews/2", configure: r =>
        {
            r.Headers.Add("x-request-id", debug);
            r.Headers.Add("x-debug", "on");
        }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Lines are written in order: once the second request is logged, the first (a 200 without x-debug) never will be.
        await sidecar.WaitForOutputAsync(debug, Deadline);
        Assert.DoesNotContain(quiet, sidecar.Output, StringComparison.Ordinal);
    }
}
