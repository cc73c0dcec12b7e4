using System.Net;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Tracing configured the Istio way, by MeshConfig alone: <c>extensionProviders</c> (a zipkin provider) named in
/// <c>defaultProviders.tracing</c>, <c>defaultConfig.tracing.sampling: 100</c>, <c>accessLogFile</c>. A third
/// workload (reviews) calls ratings; its CLIENT span goes to Zipkin, ratings' SERVER span (same trace) to OTLP.
/// </summary>
public sealed class MeshConfigTracingTests : IClassFixture<TelemetryMesh>
{
    private readonly TelemetryMesh _mesh;

    public MeshConfigTracingTests(TelemetryMesh mesh) => _mesh = mesh;

    [Fact]
    public async Task Zipkin_provider_and_sampling_from_mesh_config_trace_a_new_request_across_both_sidecars()
    {
        await using var zipkin = await ZipkinReceiver.StartAsync();
        using var config = new ConfigDirectory();
        config.Write("ratings.yaml", _mesh.RatingsServiceEntry);
        config.Write("mesh.yaml", $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogFile: /dev/stdout
                defaultConfig:
                  tracing:
                    sampling: 100
                extensionProviders:
                - name: zipkin
                  zipkin: {service: 127.0.0.1, port: {{zipkin.Port}}}
                defaultProviders:
                  tracing: [zipkin]
            """);
        await using var reviews = await SidecarProcess.StartAsync(config.Path, arguments: ["--labels", "app=reviews,version=v2", "--workload", "reviews-v2"]);

        // A caller with no trace at all (the test's own HttpClient would otherwise send its activity's traceparent).
        using var caller = new HttpClient(new SocketsHttpHandler { UseProxy = false, ActivityHeadersPropagator = null });
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{reviews.Bind}:15001/from-reviews");
        request.Headers.Host = "ratings:9080";
        request.Headers.Add("x-request-id", requestId);
        using var response = await caller.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        ReceivedSpan? client = null;
        ReceivedSpan? server = null;
        await Wait.UntilAsync(() =>
        {
            client = zipkin.Spans.FirstOrDefault(s => s.Attributes.GetValueOrDefault("guid:x-request-id") == requestId);
            server = client is null ? null : _mesh.Collector.Spans.FirstOrDefault(s => s.TraceId == client.TraceId);
            return server is not null;
        }, TimeSpan.FromSeconds(20), "reviews' CLIENT span at Zipkin and ratings' SERVER span at the OTLP collector");

        Assert.Equal(3, client!.Kind);
        Assert.Equal("", client.ParentSpanId);
        Assert.Equal("reviews.default", client.ServiceName);
        Assert.Equal("ratings.default.svc.cluster.local:9080/*", client.Name);
        Assert.Equal("outbound|9080||ratings.default.svc.cluster.local", client.Attributes["upstream_cluster"]);
        Assert.Equal(2, server!.Kind);
        Assert.Equal(client.SpanId, server.ParentSpanId);
        // With a Zipkin collector B3 goes upstream too, so the app sees the trace in both formats.
        var atApp = _mesh.App.Received.Single(r => r.Headers.TryGetValue("x-request-id", out var id) && id == requestId);
        Assert.Equal(client.TraceId, atApp.Headers["x-b3-traceid"]);
        Assert.Equal(server.SpanId, atApp.Headers["x-b3-spanid"]);
        await reviews.WaitForOutputAsync(requestId, TimeSpan.FromSeconds(15));
    }
}
