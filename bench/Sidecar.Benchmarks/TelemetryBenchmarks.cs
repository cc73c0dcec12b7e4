using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.MetadataExchange;
using Sidecar.Proxy.Telemetry;
using Sidecar.Proxy.Telemetry.Metrics;
using Sidecar.Proxy.Telemetry.Tracing;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Benchmarks;

/// <summary>
/// The telemetry cost of one request: the router's hooks (start, response headers, completion) with telemetry off
/// (the baseline: only the request state's own begin/reset), with metrics on (tracing configured but no exporter,
/// access log off), with the access log on (to /dev/null through the background writer), and with every request
/// traced (a listener sampling all spans), and with a Telemetry override adding a per-request tag (request.host);
/// plus one metric observation on a cached series.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private static readonly WorkloadInfo Workload = new()
    {
        PodName = "productpage-v1-0", Namespace = "default", WorkloadName = "productpage-v1",
        Labels = Labels.From(("app", "productpage"), ("version", "v1")),
    };

    private readonly RequestState _state = new();
    private RequestTelemetry _telemetry = null!;
    private IstioMetrics _metrics = null!;
    private TelemetrySettings _settings = null!;
    private ClusterState _cluster = null!;
    private HttpContext _outbound = null!;
    private HttpContext _inbound = null!;
    private string _peerHeader = null!;
    private HttpSeriesKey _key;
    private ActivityListener? _listener;

    [GlobalSetup]
    public void Setup() => Build(new TelemetryOptions());

    [GlobalSetup(Target = nameof(Outbound_MetricsAndAccessLog))]
    public void SetupAccessLog() => Build(new TelemetryOptions { AccessLogFile = "/dev/null" });

    [GlobalSetup(Target = nameof(Outbound_MetricsWithRequestHostTag))]
    public void SetupRequestTag()
    {
        Build(new TelemetryOptions());
        _metrics.Apply([new MetricOverrideConfig(IstioMetric.AllMetrics, WorkloadMode.ClientAndServer, null, [new TagOverrideConfig("request_host", false, "request.host")])]);
    }

    [GlobalSetup(Target = nameof(Outbound_MetricsAndEverySpan))]
    public void SetupTracing()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ProxyTracer.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
        Build(new TelemetryOptions { SamplingPercent = 100 });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _settings.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void Build(TelemetryOptions options)
    {
        var registry = Metrics.NewCustomRegistry();
        _metrics = new IstioMetrics(registry, WorkloadLabels.From(Workload));
        _settings = new TelemetrySettings(options, exporter: null);
        _telemetry = new RequestTelemetry(_metrics, new ProxyTracer(Workload, new Random(42)), _settings, Workload, TimeProvider.System);
        _cluster = new ClusterState(
            new ClusterConfig
            {
                Name = ClusterName.Outbound(9080, null, "ratings.default.svc.cluster.local"),
                Endpoints = [new EndpointConfig { Address = "10.0.0.1", Port = 9080 }],
                Service = new ServiceMetadata("ratings.default.svc.cluster.local", "ratings", "default", 9080),
            },
            TimeProvider.System, NullLogger.Instance);
        _peerHeader = PeerMetadataCodec.ToHeaderValue(new PeerMetadata { Name = "ratings-v1-0", Namespace = "default", WorkloadName = "ratings-v1", ClusterId = "Kubernetes", Labels = Labels.From(("app", "ratings"), ("version", "v1")) });
        _outbound = MeshFixture.Request("ratings:9080", "/ratings/0", ("x-request-id", "6c3a3f0e-2f6a-4f0e-9d6e-3b0f1f3a4c21"), ("user-agent", "bench"));
        _outbound.Request.Protocol = "HTTP/1.1";
        _inbound = MeshFixture.Request("ratings:9080", "/ratings/0", ("x-request-id", "6c3a3f0e-2f6a-4f0e-9d6e-3b0f1f3a4c21"), ("user-agent", "bench"));
        _inbound.Request.Protocol = "HTTP/1.1";
        _key = new HttpSeriesKey(RequestDirection.Outbound, WorkloadLabels.Unknown, ServiceLabels.Unknown, "unknown", 200, ResponseFlags.None, false, "", SecurityPolicy.Unknown);

        // Check once that the hooks record what they should before timing them.
        Outbound_Metrics();
        if (_metrics.HttpSeriesCount != 1)
        {
            throw new InvalidOperationException("the outbound request was not recorded");
        }
    }

    [Benchmark(Baseline = true)]
    public void Outbound_TelemetryOff()
    {
        _outbound.Response.Headers[PeerMetadataCodec.MetadataHeader] = _peerHeader;
        _state.Begin(_outbound, RequestDirection.Outbound, TimeProvider.System);
        _state.Cluster = _cluster;
        _state.Endpoint = _cluster.Endpoints.All[0];
        _state.TryReset();
    }

    [Benchmark]
    public void Outbound_Metrics() => Outbound();

    [Benchmark]
    public void Outbound_MetricsAndAccessLog() => Outbound();

    [Benchmark]
    public void Outbound_MetricsAndEverySpan() => Outbound();

    /// <summary>Telemetry tagOverrides request_host: request.host; the tag values are part of the series key.</summary>
    [Benchmark]
    public void Outbound_MetricsWithRequestHostTag() => Outbound();

    [Benchmark]
    public void Inbound_Metrics()
    {
        _inbound.Request.Headers[PeerMetadataCodec.MetadataHeader] = _peerHeader;
        _state.Begin(_inbound, RequestDirection.Inbound, TimeProvider.System);
        _telemetry.OnRequestStarted(_inbound, _state);
        _state.Cluster = _cluster;
        _state.Endpoint = _cluster.Endpoints.All[0];
        _telemetry.OnResponseHeaders(_inbound, _state);
        _telemetry.OnRequestCompleted(_inbound, _state);
        _state.TryReset();
    }

    /// <summary>One observation on an already-made series: the dictionary hit, the counter and three histograms.</summary>
    [Benchmark]
    public void RecordRequest_CachedSeries() => _metrics.RecordRequest(_key, 3.2, 120, 2048);

    private void Outbound()
    {
        _outbound.Response.Headers[PeerMetadataCodec.MetadataHeader] = _peerHeader;
        _state.Begin(_outbound, RequestDirection.Outbound, TimeProvider.System);
        _telemetry.OnRequestStarted(_outbound, _state);
        _state.Cluster = _cluster;
        _state.Endpoint = _cluster.Endpoints.All[0];
        _telemetry.OnResponseHeaders(_outbound, _state);
        _telemetry.OnRequestCompleted(_outbound, _state);
        _state.TryReset();
    }
}
