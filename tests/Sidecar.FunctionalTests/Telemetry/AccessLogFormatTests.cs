using System.Net;
using System.Text.Json;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// The mesh config's <c>accessLogFormat</c> and <c>envoyFileAccessLog</c> providers through a real sidecar: Envoy's
/// command operators, TEXT and JSON.
/// </summary>
public sealed class AccessLogFormatTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private TestBackend _reviews = null!;

    public async Task InitializeAsync() => _reviews = await TestBackend.StartAsync("reviews-v1");

    public async Task DisposeAsync() => await _reviews.DisposeAsync();

    [Fact]
    public async Task Text_format_is_applied_and_an_unknown_operator_is_refused_while_the_old_format_keeps_logging()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        // %UPSTREAM_CLUSTER_RAW% is what Istio's own default format uses since 1.23.
        config.Write("mesh.yaml", MeshConfig("accessLogFormat: \"custom %REQ(:METHOD)% %REQ(:PATH)% %REQ_WITHOUT_QUERY(:PATH)% %RESPONSE_CODE% %UPSTREAM_CLUSTER_RAW% id=%REQ(X-REQUEST-ID)% tries=%UPSTREAM_REQUEST_ATTEMPT_COUNT%\""));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var first = await SendAsync(sidecar);
        Assert.Contains(
            $"custom GET /reviews/1?page=2 /reviews/1 200 outbound|9080||reviews.default.svc.cluster.local id={first} tries=1",
            sidecar.Output.Split('\n'));

        config.Write("mesh.yaml", MeshConfig("accessLogFormat: \"%START_TIME% %RESPONSE_COD%\""));
        await sidecar.WaitForOutputAsync("RESPONSE_COD", Deadline);
        Assert.Contains("data.mesh.accessLogFormat", sidecar.Output, StringComparison.Ordinal);

        var second = await SendAsync(sidecar);
        Assert.Contains(sidecar.Output.Split('\n'), line => line.StartsWith("custom GET", StringComparison.Ordinal) && line.EndsWith($"id={second} tries=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_format_prints_the_configured_keys_with_typed_values()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("mesh.yaml", MeshConfig(
            "accessLogEncoding: JSON",
            """accessLogFormat: '{"status": "%RESPONSE_CODE%", "id": "%REQ(X-REQUEST-ID)%", "call": "%REQ(:METHOD)% %REQ(:AUTHORITY)%", "upstream": {"cluster": "%UPSTREAM_CLUSTER%", "ip": "%UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "port": "%UPSTREAM_REMOTE_PORT%", "from": "%UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%", "from_port": "%UPSTREAM_LOCAL_PORT%"}, "peer": "%DOWNSTREAM_PEER_URI_SAN%"}'"""));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var id = await SendAsync(sidecar);

        var line = sidecar.Output.Split('\n').Single(l => l.Contains(id, StringComparison.Ordinal));
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal(200, root.GetProperty("status").GetInt32());
        Assert.Equal(id, root.GetProperty("id").GetString());
        Assert.Equal("GET reviews:9080", root.GetProperty("call").GetString());
        var upstream = root.GetProperty("upstream");
        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", upstream.GetProperty("cluster").GetString());
        Assert.Equal(_reviews.Address, upstream.GetProperty("ip").GetString());
        Assert.Equal(_reviews.Port, upstream.GetProperty("port").GetInt32());
        // The connection the request was written on leaves from the sidecar's own address (a pod's, standalone).
        Assert.Equal(sidecar.Bind.ToString(), upstream.GetProperty("from").GetString());
        Assert.InRange(upstream.GetProperty("from_port").GetInt32(), 1, 65535);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("peer").ValueKind);
        Assert.Equal(5, root.EnumerateObject().Count());
    }

    [Fact]
    public async Task An_envoyFileAccessLog_provider_named_by_a_Telemetry_resource_writes_its_labels_as_JSON()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("mesh.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: json-log
                  envoyFileAccessLog:
                    path: /dev/stdout
                    logFormat:
                      labels: {status: "%RESPONSE_CODE%", id: "%REQ(X-REQUEST-ID)%", cluster: "%UPSTREAM_CLUSTER%"}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging: [{providers: [{name: json-log}]}]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var id = await SendAsync(sidecar);

        var root = JsonDocument.Parse(sidecar.Output.Split('\n').Single(l => l.Contains(id, StringComparison.Ordinal))).RootElement;
        Assert.Equal(200, root.GetProperty("status").GetInt32());
        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", root.GetProperty("cluster").GetString());
        Assert.Equal(3, root.EnumerateObject().Count());
    }

    private static string MeshConfig(params string[] lines) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {"{name: istio, namespace: istio-system}"}
        data:
          mesh: |
            accessLogFile: /dev/stdout
            {string.Join("\n    ", lines)}
        """;

    private static async Task<string> SendAsync(SidecarProcess sidecar)
    {
        var id = Guid.NewGuid().ToString();
        using var response = await sidecar.SendAsync("reviews:9080", "/reviews/1?page=2", configure: r => r.Headers.Add("x-request-id", id));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await sidecar.WaitForOutputAsync(id, Deadline);
        return id;
    }
}
