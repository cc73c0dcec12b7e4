using Microsoft.Extensions.Logging;
using Prometheus;
using Sidecar.Proxy.Admin;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Tcp;
using Sidecar.Proxy.Telemetry.Metrics;
using Sidecar.Proxy.Telemetry.Tracing;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// Wires telemetry into the data plane: the metrics (the sidecar's health figures, then Istio's standard metrics),
/// the tracer and its exporter, the access log, the router's and TCP proxy's hooks, and the scrape endpoints.
/// Settings follow each config push.
/// </summary>
internal sealed class ProxyTelemetry : IAsyncDisposable
{
    private readonly DataPlane _dataPlane;
    private readonly TcpProxy _tcp;
    private readonly TraceExporterHost _exporter;
    private readonly TcpTelemetry _tcpTelemetry;
    private readonly ApplicationMetricsScraper? _application;

    public ProxyTelemetry(DataPlane dataPlane, Router router, TcpProxy tcp, AdminHandler admin, ProxyOptions options, TimeProvider time, ILoggerFactory loggers, Security.UpstreamTlsOriginator tls, ProxyReadiness readiness, Listeners.DownstreamConnections connections, Listeners.ListenerManager listeners, AccessLog.CodecRejections codecRejections)
    {
        ArgumentNullException.ThrowIfNull(codecRejections);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _dataPlane = dataPlane;
        _tcp = tcp;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Metrics = new IstioMetrics(Registry, WorkloadLabels.From(options.Workload));
        _ = new ProxyHealthMetrics(Registry, dataPlane);
        var server = new ServerMetrics(Registry, dataPlane, readiness, connections, listeners, options.Concurrency, time);
        var collectors = new CollectorTransport(dataPlane);
        _exporter = new TraceExporterHost(options.Workload, loggers.CreateLogger("Sidecar.Proxy.Telemetry.Tracing"), collectors);
        Tracer = new ProxyTracer(options.Workload, Random.Shared, options.Workload.TrustDomain);
        Settings = new TelemetrySettings(options.Telemetry, _exporter, loggers.CreateLogger("Sidecar.Proxy.Telemetry.AccessLog"), collectors);
        UpdatePropagation();
        var requests = new RequestTelemetry(Metrics, Tracer, Settings, options.Workload, time, tls);
        router.Telemetry = requests;
        codecRejections.Rejected += requests.OnCodecRejection;
        _tcpTelemetry = new TcpTelemetry(Metrics, Settings);
        tcp.ConnectionOpened += _tcpTelemetry.OnOpened;
        tcp.ConnectionClosed += _tcpTelemetry.OnClosed;
        tcp.ConnectionWithoutChain += _tcpTelemetry.OnWithoutChain;
        _application = options.Telemetry.ApplicationMetrics is { } app ? new ApplicationMetricsScraper(app) : null;
        new MetricsEndpoints(Registry, Metrics, dataPlane, Settings, _application, server).Register(admin.Extensions, options);
        dataPlane.Applied += OnApplied;
        if (dataPlane.Current is { } current)
        {
            OnApplied(current);
        }
    }

    public CollectorRegistry Registry { get; }

    public IstioMetrics Metrics { get; }

    public ProxyTracer Tracer { get; }

    public TelemetrySettings Settings { get; }

    public async ValueTask DisposeAsync()
    {
        _dataPlane.Applied -= OnApplied;
        _tcp.ConnectionOpened -= _tcpTelemetry.OnOpened;
        _tcp.ConnectionClosed -= _tcpTelemetry.OnClosed;
        _tcp.ConnectionWithoutChain -= _tcpTelemetry.OnWithoutChain;
        _exporter.Dispose();
        _application?.Dispose();
        await Settings.DisposeAsync().ConfigureAwait(false);
    }

    private void OnApplied(DataPlaneSnapshot snapshot)
    {
        Settings.Apply(snapshot.Config.Mesh.Telemetry);
        Metrics.Apply(snapshot.Config.Mesh.Telemetry.MetricOverrides);
        UpdatePropagation();
    }

    /// <summary>Zipkin's world speaks B3: with a Zipkin collector, B3 goes upstream even when the caller sent only W3C (or nothing).</summary>
    private void UpdatePropagation() => Tracer.AlwaysPropagateB3 = _exporter.Current?.Protocol == Model.TracingProtocol.Zipkin;
}
