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

        var requestId = await SendAsync(reviews, "ratings:9080", "/from-reviews");

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

    [Fact]
    public async Task Telemetry_custom_tags_reach_the_exported_span_from_a_literal_the_proxys_environment_and_a_request_header()
    {
        await using var zipkin = await ZipkinReceiver.StartAsync();
        using var config = new ConfigDirectory();
        config.Write("ratings.yaml", _mesh.RatingsServiceEntry);
        config.Write("mesh.yaml", $$$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: zipkin
                  zipkin: {service: 127.0.0.1, port: {{{zipkin.Port}}}}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              tracing:
              - providers: [{name: zipkin}]
                randomSamplingPercentage: 100
                customTags:
                  team: {literal: {value: bookinfo}}
                  node: {environment: {name: NODE_NAME, defaultValue: no-node}}
                  cluster: {environment: {name: CLUSTER_LABEL_UNSET, defaultValue: kind-1}}
                  user: {header: {name: end-user, defaultValue: anonymous}}
                  canary: {header: {name: x-canary}}
            """);
        await using var reviews = await SidecarProcess.StartAsync(
            config.Path,
            arguments: ["--labels", "app=reviews,version=v2", "--workload", "reviews-v2"],
            environment: new Dictionary<string, string> { ["NODE_NAME"] = "worker-7" });

        var requestId = await SendAsync(reviews, "ratings:9080", "/tagged", ("end-user", "jason"));

        ReceivedSpan? span = null;
        await Wait.UntilAsync(() =>
        {
            span = zipkin.Spans.FirstOrDefault(s => s.Attributes.GetValueOrDefault("guid:x-request-id") == requestId);
            return span is not null;
        }, TimeSpan.FromSeconds(20), "reviews' CLIENT span at Zipkin");

        Assert.Equal("bookinfo", span!.Attributes["team"]);
        Assert.Equal("worker-7", span.Attributes["node"]);
        Assert.Equal("kind-1", span.Attributes["cluster"]);
        Assert.Equal("jason", span.Attributes["user"]);
        Assert.False(span.Attributes.ContainsKey("canary")); // absent header, no default: no tag
    }
    [Fact]
    public async Task A_Telemetry_tracing_entry_for_SERVER_mode_traces_inbound_requests_only()
    {
        // Istio's Tracing(): match.mode SERVER changes the inbound listener's tracing alone; the outbound side keeps
        // the mesh defaults, here no provider, so no CLIENT span. The request crosses one sidecar twice: out through
        // its outbound listener to the service, whose endpoint is the same sidecar's inbound (ingress) listener.
        await using var zipkin = await ZipkinReceiver.StartAsync();
        await using var app = await TestBackend.StartAsync("details-v1");
        var bind = LoopbackAddresses.Next();
        using var config = new ConfigDirectory();
        config.Write("details.yaml", $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: details, namespace: default}
            spec:
              hosts: [details.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports: [{number: 9080, name: http, protocol: HTTP}]
              endpoints: [{address: {{{bind}}}, ports: {http: 9080}, labels: {app: details}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: details, namespace: default}
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: {{{bind}}}
                defaultEndpoint: 127.0.0.1:{{{app.Port}}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                extensionProviders:
                - name: zipkin
                  zipkin: {service: 127.0.0.1, port: {{{zipkin.Port}}}}
            ---
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              tracing:
              - match: {mode: SERVER}
                providers: [{name: zipkin}]
                randomSamplingPercentage: 100
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, bind, ["--labels", "app=details,version=v1", "--workload", "details-v1"]);

        var first = await SendAsync(sidecar, "details:9080", "/details/0");
        var second = await SendAsync(sidecar, "details:9080", "/details/0");

        // Spans leave in the order they end: once the second request's SERVER span is in, the first request's
        // spans (both sides ended before the second request was sent) are in too.
        await Wait.UntilAsync(() => zipkin.Spans.Any(s => s.Attributes.GetValueOrDefault("guid:x-request-id") == second), TimeSpan.FromSeconds(20), "the second request's SERVER span");
        var firstSpans = zipkin.Spans.Where(s => s.Attributes.GetValueOrDefault("guid:x-request-id") == first).ToList();
        var span = Assert.Single(firstSpans);
        Assert.Equal(ServerKind, span.Kind);
    }

    private const int ServerKind = 2;

    /// <summary>
    /// A request through the sidecar's outbound listener from a caller with no trace at all (the test's own HttpClient
    /// would otherwise send its activity's traceparent); returns its x-request-id.
    /// </summary>
    private static async Task<string> SendAsync(SidecarProcess sidecar, string authority, string path, params (string Name, string Value)[] headers)
    {
        using var caller = new HttpClient(new SocketsHttpHandler { UseProxy = false, ActivityHeadersPropagator = null });
        var requestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{sidecar.Bind}:15001{path}");
        request.Headers.Host = authority;
        request.Headers.Add("x-request-id", requestId);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        using var response = await caller.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return requestId;
    }
}
