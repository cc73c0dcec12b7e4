using System.Collections.Concurrent;
using System.Globalization;
using Prometheus;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Istio's standard metrics (istio/proxy's stats plugin): request count, duration and sizes for HTTP/gRPC, bytes and
/// connections for TCP, from the reporter on each side. Label children are looked up once per distinct key and kept
/// in lock-free dictionaries, so a request records with a dictionary hit and three observations.
/// </summary>
internal sealed class IstioMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Histogram _requestBytes;
    private readonly Histogram _responseBytes;
    private readonly Counter _tcpSent;
    private readonly Counter _tcpReceived;
    private readonly Counter _tcpOpened;
    private readonly Counter _tcpClosed;
    private readonly Gauge _tcpActive;
    private readonly ConcurrentDictionary<HttpSeriesKey, HttpSeries> _http = new();
    private readonly ConcurrentDictionary<TcpSeriesKey, TcpSeries> _tcp = new();
    private readonly Func<HttpSeriesKey, HttpSeries> _newHttpSeries;
    private readonly Func<TcpSeriesKey, TcpSeries> _newTcpSeries;

    public IstioMetrics(CollectorRegistry registry, WorkloadLabels self)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Self = self;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        var http = IstioLabelNames.Http;
        _requests = factory.CreateCounter("istio_requests_total", "Requests by source and destination (Istio standard metric).", http);
        _duration = factory.CreateHistogram("istio_request_duration_milliseconds", "Request duration in milliseconds (Istio standard metric).",
            new HistogramConfiguration { LabelNames = http, Buckets = IstioLabelNames.DurationBuckets });
        _requestBytes = factory.CreateHistogram("istio_request_bytes", "Request size in bytes (Istio standard metric).",
            new HistogramConfiguration { LabelNames = http, Buckets = IstioLabelNames.SizeBuckets });
        _responseBytes = factory.CreateHistogram("istio_response_bytes", "Response size in bytes (Istio standard metric).",
            new HistogramConfiguration { LabelNames = http, Buckets = IstioLabelNames.SizeBuckets });
        var tcp = IstioLabelNames.Tcp;
        _tcpSent = factory.CreateCounter("istio_tcp_sent_bytes_total", "Bytes sent back to the downstream on TCP connections (Istio standard metric).", tcp);
        _tcpReceived = factory.CreateCounter("istio_tcp_received_bytes_total", "Bytes received from the downstream on TCP connections (Istio standard metric).", tcp);
        _tcpOpened = factory.CreateCounter("istio_tcp_connections_opened_total", "TCP connections opened (Istio standard metric).", tcp);
        _tcpClosed = factory.CreateCounter("istio_tcp_connections_closed_total", "TCP connections closed (Istio standard metric).", tcp);
        _tcpActive = factory.CreateGauge("sidecar_tcp_connections_active", "Proxied TCP connections open now (both directions).");
        _newHttpSeries = NewHttpSeries;
        _newTcpSeries = NewTcpSeries;
    }

    /// <summary>This sidecar's own workload: source_* on outbound, destination_* on inbound.</summary>
    public WorkloadLabels Self { get; }

    /// <summary>Series made so far (one per distinct label set).</summary>
    public int HttpSeriesCount => _http.Count;

    public void RecordRequest(in HttpSeriesKey key, double durationMs, long requestBytes, long responseBytes)
    {
        var series = _http.GetOrAdd(key, _newHttpSeries);
        series.Requests.Inc();
        series.Duration.Observe(durationMs);
        series.RequestBytes.Observe(requestBytes);
        series.ResponseBytes.Observe(responseBytes);
    }

    public void RecordTcpOpened(in TcpSeriesKey key)
    {
        _tcp.GetOrAdd(key, _newTcpSeries).Opened.Inc();
        _tcpActive.Inc();
    }

    public void RecordTcpClosed(in TcpSeriesKey key, long received, long sent)
    {
        var series = _tcp.GetOrAdd(key, _newTcpSeries);
        series.Received.Inc(received);
        series.Sent.Inc(sent);
        series.Closed.Inc();
        _tcpActive.Dec();
    }

    private HttpSeries NewHttpSeries(HttpSeriesKey key)
    {
        var values = new string[IstioLabelNames.Http.Length];
        var next = FillWorkloads(values, key.Direction, key.Peer, key.Service, key.PeerPrincipal, key.Policy);
        values[next++] = key.Grpc ? "grpc" : "http";
        values[next++] = key.ResponseCode.ToString(CultureInfo.InvariantCulture);
        values[next++] = key.GrpcStatus;
        values[next++] = key.Flags.ToShortString();
        values[next] = key.Policy.ToLabel();
        return new HttpSeries(_requests.WithLabels(values), _duration.WithLabels(values), _requestBytes.WithLabels(values), _responseBytes.WithLabels(values));
    }

    private TcpSeries NewTcpSeries(TcpSeriesKey key)
    {
        var values = new string[IstioLabelNames.Tcp.Length];
        var next = FillWorkloads(values, key.Direction, key.Peer, key.Service, key.PeerPrincipal, key.Policy);
        values[next++] = "tcp";
        values[next++] = key.Flags.ToShortString();
        values[next] = key.Policy.ToLabel();
        return new TcpSeries(_tcpSent.WithLabels(values), _tcpReceived.WithLabels(values), _tcpOpened.WithLabels(values), _tcpClosed.WithLabels(values));
    }

    /// <summary>reporter, the eight source_* and the eleven destination_* values; returns the next index.</summary>
    private int FillWorkloads(string[] values, RequestDirection direction, WorkloadLabels peer, ServiceLabels service, string peerPrincipal, SecurityPolicy policy)
    {
        var outbound = direction == RequestDirection.Outbound;
        var source = outbound ? Self : peer;
        var destination = outbound ? peer : Self;
        values[0] = outbound ? "source" : "destination";
        values[1] = source.Workload;
        values[2] = source.CanonicalService;
        values[3] = source.CanonicalRevision;
        values[4] = source.Namespace;
        // The principals come from the connection's peer certificate: unknown without mTLS (Istio does the same).
        values[5] = outbound ? IstioLabelNames.Unknown : peerPrincipal;
        values[6] = source.App;
        values[7] = source.Version;
        values[8] = source.Cluster;
        values[9] = destination.Workload;
        values[10] = destination.Namespace;
        values[11] = outbound ? peerPrincipal : policy == SecurityPolicy.MutualTls ? Self.Principal : IstioLabelNames.Unknown;
        values[12] = destination.App;
        values[13] = destination.Version;
        values[14] = service.Service;
        values[15] = destination.CanonicalService;
        values[16] = destination.CanonicalRevision;
        values[17] = service.Name;
        values[18] = service.Namespace;
        values[19] = destination.Cluster;
        return 20;
    }

    private sealed record HttpSeries(Counter.Child Requests, Histogram.Child Duration, Histogram.Child RequestBytes, Histogram.Child ResponseBytes);

    private sealed record TcpSeries(Counter.Child Sent, Counter.Child Received, Counter.Child Opened, Counter.Child Closed);
}
