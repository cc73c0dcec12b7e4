using System.Net;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// One request through two sidecars (productpage's outbound, ratings' inbound, then the app) yields a CLIENT span
/// and a SERVER span in the caller's trace, linked parent to child, exported over OTLP/HTTP and OTLP/gRPC to a real
/// collector; the app receives the trace with the server span as its parent.
/// </summary>
public sealed class TracingTests : IClassFixture<TelemetryMesh>
{
    private const int ServerKind = 2;
    private const int ClientKind = 3;
    private readonly TelemetryMesh _mesh;

    public TracingTests(TelemetryMesh mesh) => _mesh = mesh;

    [Fact]
    public async Task W3C_traceparent_yields_client_and_server_spans_in_one_trace()
    {
        var traceId = NewHex(32);
        var callerSpan = NewHex(16);
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/traced", ("traceparent", $"00-{traceId}-{callerSpan}-01"), ("x-request-id", requestId), ("x-test-id", requestId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var (client, server) = await WaitForSpansAsync(traceId);
        Assert.Equal(callerSpan, client.ParentSpanId);
        Assert.Equal(client.SpanId, server.ParentSpanId);
        AssertEnvoyTags(client, server, requestId);

        var atApp = _mesh.App.Received.Single(r => r.Headers.TryGetValue("x-test-id", out var t) && t == requestId);
        Assert.Equal($"00-{traceId}-{server.SpanId}-01", atApp.Headers["traceparent"]);
    }

    [Fact]
    public async Task B3_multi_headers_yield_client_and_server_spans_in_one_trace()
    {
        var traceId = NewHex(32);
        var callerSpan = NewHex(16);
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/traced",
            ("x-b3-traceid", traceId), ("x-b3-spanid", callerSpan), ("x-b3-sampled", "1"), ("x-request-id", requestId), ("x-test-id", requestId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var (client, server) = await WaitForSpansAsync(traceId);
        Assert.Equal(callerSpan, client.ParentSpanId);
        Assert.Equal(client.SpanId, server.ParentSpanId);
        AssertEnvoyTags(client, server, requestId);

        // The app sees B3 as it sent it, re-parented on the server span.
        var atApp = _mesh.App.Received.Single(r => r.Headers.TryGetValue("x-test-id", out var t) && t == requestId);
        Assert.Equal(traceId, atApp.Headers["x-b3-traceid"]);
        Assert.Equal(server.SpanId, atApp.Headers["x-b3-spanid"]);
        Assert.Equal(client.SpanId, atApp.Headers["x-b3-parentspanid"]);
        Assert.Equal("1", atApp.Headers["x-b3-sampled"]);
    }

    [Fact]
    public async Task B3_single_header_yields_client_and_server_spans_in_one_trace()
    {
        var traceId = NewHex(32);
        var callerSpan = NewHex(16);
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/traced", ("b3", $"{traceId}-{callerSpan}-1"), ("x-request-id", requestId), ("x-test-id", requestId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var (client, server) = await WaitForSpansAsync(traceId);
        Assert.Equal(callerSpan, client.ParentSpanId);
        Assert.Equal(client.SpanId, server.ParentSpanId);
        var atApp = _mesh.App.Received.Single(r => r.Headers.TryGetValue("x-test-id", out var t) && t == requestId);
        Assert.Equal($"{traceId}-{server.SpanId}-1-{client.SpanId}", atApp.Headers["b3"]);
    }

    [Fact]
    public async Task Unsampled_requests_make_no_spans_at_zero_percent_sampling()
    {
        // sampling 0 %, no caller decision; then x-b3-sampled: 0 (the caller's "no" is honoured).
        var unsampled = Guid.NewGuid().ToString();
        var refused = Guid.NewGuid().ToString();
        using (var plain = await _mesh.CallRatingsAsync("/plain", ("x-request-id", unsampled), ("x-test-id", unsampled)))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        // The client sidecar started the trace and did not sample it: its decision reaches the server side (flags 00),
        // so the server sidecar does not start a trace of its own.
        var atApp = _mesh.App.Received.Single(r => r.Headers.TryGetValue("x-test-id", out var t) && t == unsampled);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-00$", atApp.Headers["traceparent"]);

        using (var no = await _mesh.CallRatingsAsync("/plain", ("x-b3-traceid", NewHex(32)), ("x-b3-spanid", NewHex(16)), ("x-b3-sampled", "0"), ("x-request-id", refused)))
        {
            Assert.Equal(HttpStatusCode.OK, no.StatusCode);
        }

        // A sampled request afterwards: once its spans arrive, anything exported before it has arrived too.
        var traceId = NewHex(32);
        using var sampled = await _mesh.CallRatingsAsync("/traced", ("traceparent", $"00-{traceId}-{NewHex(16)}-01"));
        Assert.Equal(HttpStatusCode.OK, sampled.StatusCode);
        await WaitForSpansAsync(traceId);

        Assert.DoesNotContain(_mesh.Collector.Spans, s => s.Attributes.GetValueOrDefault("guid:x-request-id") is { } id && (id == unsampled || id == refused));
    }

    private static void AssertEnvoyTags(ReceivedSpan client, ReceivedSpan server, string requestId)
    {
        Assert.Equal("ratings.default.svc.cluster.local:9080/*", client.Name);
        Assert.Equal("productpage.default", client.ServiceName);
        Assert.Equal("ratings.default", server.ServiceName);
        foreach (var (span, cluster, service) in new[] { (client, "outbound|9080||ratings.default.svc.cluster.local", "productpage"), (server, "inbound|9080||", "ratings") })
        {
            var tags = span.Attributes;
            Assert.Equal("proxy", tags["component"]);
            Assert.Equal(cluster, tags["upstream_cluster"]);
            Assert.Equal(cluster, tags["upstream_cluster.name"]);
            Assert.Equal("GET", tags["http.method"]);
            Assert.Equal("http://ratings:9080/traced", tags["http.url"]);
            Assert.Equal("HTTP/1.1", tags["http.protocol"]);
            Assert.Equal("200", tags["http.status_code"]);
            Assert.Equal("-", tags["response_flags"]);
            Assert.Equal(requestId, tags["guid:x-request-id"]);
            Assert.Equal(service, tags["istio.canonical_service"]);
            Assert.Equal("v1", tags["istio.canonical_revision"]);
            Assert.Equal("default", tags["istio.namespace"]);
            Assert.Equal("cluster.local", tags["istio.mesh_id"]);
            Assert.StartsWith("sidecar~", tags["node_id"], StringComparison.Ordinal);
            Assert.Equal("10", tags["response_size"]);
            Assert.True(tags.ContainsKey("user_agent") && tags.ContainsKey("request_size") && tags.ContainsKey("downstream_cluster"));
        }
    }

    private async Task<(ReceivedSpan Client, ReceivedSpan Server)> WaitForSpansAsync(string traceId)
    {
        ReceivedSpan? client = null;
        ReceivedSpan? server = null;
        await Wait.UntilAsync(() =>
        {
            var spans = _mesh.Collector.Spans.Where(s => s.TraceId == traceId).ToList();
            client = spans.FirstOrDefault(s => s.Kind == ClientKind);
            server = spans.FirstOrDefault(s => s.Kind == ServerKind);
            return client is not null && server is not null;
        }, TimeSpan.FromSeconds(20), $"a CLIENT and a SERVER span of trace {traceId} at the collector");
        Assert.Equal(2, _mesh.Collector.Spans.Count(s => s.TraceId == traceId));
        return (client!, server!);
    }

    private static string NewHex(int length) => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray())[..length];
}
