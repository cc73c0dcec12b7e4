using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Istio's <c>envoyOtelAls</c> access log provider on a running sidecar: each request becomes a log record exported
/// over OTLP/gRPC to a real collector, shaped as Envoy's OpenTelemetry access logger shapes it (Istio's
/// OpenTelemetryAccessLogConfig: body <c>logFormat.text</c> or Istio's default line, attributes
/// <c>logFormat.labels</c>, <c>disable_builtin_labels</c>; the record's time is the request's start time).
/// </summary>
public sealed class OpenTelemetryAccessLogTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private TestBackend _reviews = null!;
    private OtlpReceiver _collector = null!;

    public async Task InitializeAsync()
    {
        _reviews = await TestBackend.StartAsync("reviews-v1");
        _collector = await OtlpReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _reviews.DisposeAsync();
    }

    [Fact]
    public async Task A_request_is_a_log_record_with_Istios_default_line_as_body_the_labels_as_attributes_and_its_start_time()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("mesh.yaml", MeshYaml.MeshConfig($$"""
            extensionProviders:
            - name: otel
              envoyOtelAls:
                service: {{new Uri(_collector.GrpcEndpoint).Host}}
                port: {{new Uri(_collector.GrpcEndpoint).Port}}
                logFormat:
                  labels:
                    request_id: "%REQ(X-REQUEST-ID)%"
                    code: "%RESPONSE_CODE%"
                    cluster: "%UPSTREAM_CLUSTER%"
                    absent: "%REQ(X-ABSENT)%"
                    trace: "%TRACE_ID%"
            defaultProviders: {accessLogging: [otel]}
            """));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var requestId = Guid.NewGuid().ToString();
        var before = DateTimeOffset.UtcNow;
        using (var response = await sidecar.SendAsync("reviews:9080", "/reviews/1", configure: r => r.Headers.Add("x-request-id", requestId)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = DateTimeOffset.UtcNow;
        var record = await WaitForRecordAsync(r => r.Attributes.GetValueOrDefault("request_id") == requestId);

        // Istio's default text line, its line break included, as the body.
        Assert.StartsWith("[", record.Body, StringComparison.Ordinal);
        Assert.Contains("\"GET /reviews/1 HTTP/1.1\" 200 - via_upstream", record.Body, StringComparison.Ordinal);
        Assert.Contains($"\"{requestId}\" \"reviews:9080\"", record.Body, StringComparison.Ordinal);
        Assert.Contains(" outbound|9080||reviews.default.svc.cluster.local ", record.Body, StringComparison.Ordinal);
        Assert.EndsWith("\n", record.Body, StringComparison.Ordinal);

        // The labels as string attributes, a missing value "-" as Envoy's text formatter prints it.
        Assert.Equal("200", record.Attributes["code"]);
        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", record.Attributes["cluster"]);
        Assert.Equal("-", record.Attributes["absent"]);
        Assert.Equal("-", record.Attributes["trace"]);
        Assert.Equal(5, record.Attributes.Count);

        // The request's start time; no severity, resource attributes or scope, and no trace without a span.
        Assert.InRange(record.TimeUnixNano, UnixNanoseconds(before), UnixNanoseconds(after));
        Assert.Equal(0, record.SeverityNumber);
        Assert.Equal("", record.SeverityText);
        Assert.Equal(0, record.ResourceAttributeCount);
        Assert.Equal("", record.ScopeName);
        Assert.Equal("", record.TraceId);
        Assert.Contains($"Exporting access logs over OTLP/gRPC to {_collector.GrpcEndpoint}/ (provider otel)", sidecar.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_text_format_is_the_body_the_file_log_is_written_beside_it_and_the_record_carries_the_requests_span()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        config.Write("mesh.yaml", MeshYaml.MeshConfig($$"""
            defaultConfig:
              tracing: {sampling: 100}
            extensionProviders:
            - name: otel-logs
              envoyOtelAls:
                service: default/{{new Uri(_collector.GrpcEndpoint).Host}}
                port: {{new Uri(_collector.GrpcEndpoint).Port}}
                logFormat: {text: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %TRACE_ID%"}
            - name: otel-traces
              opentelemetry:
                service: {{new Uri(_collector.GrpcEndpoint).Host}}
                port: {{new Uri(_collector.GrpcEndpoint).Port}}
            defaultProviders: {tracing: [otel-traces]}
            """) + "---\n" + $$"""
            apiVersion: telemetry.istio.io/v1
            kind: Telemetry
            metadata: {name: mesh-default, namespace: istio-system}
            spec:
              accessLogging: [{providers: [{name: envoy}, {name: otel-logs}]}]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var path = $"/reviews/{Guid.NewGuid():N}";
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using (var response = await sidecar.SendAsync("reviews:9080", path, configure: r => r.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // %TRACE_ID%: the trace of the request's span.
        var record = await WaitForRecordAsync(r => r.Body == $"GET {path} 200 - {traceId}");
        Assert.Empty(record.Attributes);

        // The record names the request's span, the CLIENT span the sidecar exported for it.
        ReceivedSpan? span = null;
        await Wait.UntilAsync(() => (span = _collector.Spans.FirstOrDefault(s => s.TraceId == traceId)) is not null, Deadline, $"the span of trace {traceId} at the collector");
        Assert.Equal(traceId, record.TraceId);
        Assert.Equal(span!.SpanId, record.SpanId);

        // The built-in envoy provider logs the same request to stdout.
        await sidecar.WaitForOutputAsync($"\"GET {path} HTTP/1.1\" 200", Deadline);
    }

    private async Task<ReceivedLogRecord> WaitForRecordAsync(Func<ReceivedLogRecord, bool> match)
    {
        await Wait.UntilAsync(() => _collector.Logs.Any(match), Deadline, "the access log record at the OTLP collector");
        return Assert.Single(_collector.Logs, r => match(r));
    }

    private static ulong UnixNanoseconds(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;
}
