using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>The standalone source watching its directory: hot reload, refusal of bad input, readiness.</summary>
public sealed class ConfigReloadTests : IAsyncLifetime
{
    private TestBackend _v1 = null!;
    private TestBackend _v2 = null!;

    public async Task InitializeAsync()
    {
        _v1 = await TestBackend.StartAsync("reviews-v1");
        _v2 = await TestBackend.StartAsync("reviews-v2");
    }

    public async Task DisposeAsync()
    {
        await _v1.DisposeAsync();
        await _v2.DisposeAsync();
    }

    private static string RouteAllTo(string subset) => $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews, subset: {{subset}}}
        """;

    private void WriteServices(ConfigDirectory config)
    {
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_v1, "v1"), (_v2, "v2")) + "---\n" + MeshYaml.Subsets("reviews", "v1", "v2"));
    }

    [Fact]
    public async Task A_changed_virtual_service_is_served_within_2_seconds()
    {
        using var config = new ConfigDirectory();
        WriteServices(config);
        config.Write("reviews.yaml", RouteAllTo("v1"));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        Assert.Equal("reviews-v1", await GetAsync(sidecar));

        var clock = Stopwatch.StartNew();
        config.Write("reviews.yaml", RouteAllTo("v2"));
        await Wait.UntilAsync(async () => await GetAsync(sidecar) == "reviews-v2", TimeSpan.FromSeconds(5), "the new route to be served");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"reload took {clock.Elapsed}");
    }

    [Fact]
    public async Task An_invalid_file_is_refused_with_file_resource_and_field_and_the_old_config_keeps_serving()
    {
        using var config = new ConfigDirectory();
        WriteServices(config);
        config.Write("reviews.yaml", RouteAllTo("v1"));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        var before = await ConfigVersionAsync(sidecar);

        config.Write("broken.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: broken
            spec:
              hosts: [ratings]
              http:
              - fault:
                  abort: {httpStatus: 503, percentage: {value: 150}}
                route:
                - destination: {host: ratings}
            """);
        await sidecar.WaitForOutputAsync("broken.yaml", TimeSpan.FromSeconds(10));

        var output = sidecar.Output;
        Assert.Contains("VirtualService default/broken", output);
        Assert.Contains("spec.http[0].fault.abort.percentage", output);
        Assert.Equal("reviews-v1", await GetAsync(sidecar));
        Assert.Equal(before, await ConfigVersionAsync(sidecar));
        using var dump = JsonDocument.Parse(await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/config_dump"));
        Assert.True(dump.RootElement.GetProperty("rejected_count").GetInt64() >= 1);
        var rejected = dump.RootElement.GetProperty("last_rejection").GetProperty("errors").EnumerateArray().ToList();
        Assert.Contains(rejected, e => e.GetProperty("resource").GetString() == "VirtualService default/broken"
            && e.GetProperty("field").GetString() == "spec.http[0].fault.abort.percentage.value");

        // Fixing the file is picked up.
        config.Delete("broken.yaml");
        config.Write("reviews.yaml", RouteAllTo("v2"));
        await Wait.UntilAsync(async () => await GetAsync(sidecar) == "reviews-v2", TimeSpan.FromSeconds(5), "the fixed config to be served");
    }

    [Fact]
    public async Task Not_ready_until_a_valid_config_is_loaded()
    {
        using var config = new ConfigDirectory();
        config.Write("reviews.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  http: []\n");
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, waitUntilReady: false);
        await sidecar.WaitForOutputAsync("reviews.yaml", TimeSpan.FromSeconds(20));
        await Wait.UntilAsync(async () => await HealthStatusAsync(sidecar) is not null, TimeSpan.FromSeconds(20), "the health port to answer");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await HealthStatusAsync(sidecar));

        WriteServices(config);
        config.Write("reviews.yaml", RouteAllTo("v1"));
        await sidecar.WaitUntilReadyAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("reviews-v1", await GetAsync(sidecar));
    }

    [Fact]
    public async Task Deleting_a_file_removes_its_resources()
    {
        using var config = new ConfigDirectory();
        WriteServices(config);
        config.Write("reviews.yaml", RouteAllTo("v2"));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        Assert.Equal("reviews-v2", await GetAsync(sidecar));

        config.Delete("reviews.yaml");

        // Without the VirtualService, the service's default route balances over both versions.
        await Wait.UntilAsync(async () => await GetAsync(sidecar) == "reviews-v1", TimeSpan.FromSeconds(5), "v1 to serve again");
    }

    private static async Task<string> GetAsync(SidecarProcess sidecar)
    {
        using var response = await sidecar.SendAsync("reviews:9080", "/reviews/0");
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<string> ConfigVersionAsync(SidecarProcess sidecar)
    {
        using var dump = JsonDocument.Parse(await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/config_dump"));
        return dump.RootElement.GetProperty("version").GetString()!;
    }

    private static async Task<HttpStatusCode?> HealthStatusAsync(SidecarProcess sidecar)
    {
        try
        {
            using var response = await sidecar.Client.GetAsync(sidecar.HealthUrl);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
