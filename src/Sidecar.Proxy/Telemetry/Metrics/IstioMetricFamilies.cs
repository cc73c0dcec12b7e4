using System.Collections.Concurrent;
using System.Globalization;
using Prometheus;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Istio's standard metric families laid out for one set of Telemetry overrides, in a registry of their own so a
/// new layout (other labels, a disabled metric) replaces them whole. Label children are looked up once per distinct
/// key and kept in lock-free dictionaries, so a request records with a dictionary hit and up to four observations.
/// </summary>
internal sealed class IstioMetricFamilies
{
    private readonly WorkloadLabels _self;
    private readonly Counter? _requests;
    private readonly Histogram? _duration;
    private readonly Histogram? _requestBytes;
    private readonly Histogram? _responseBytes;
    private readonly Counter? _tcpSent;
    private readonly Counter? _tcpReceived;
    private readonly Counter? _tcpOpened;
    private readonly Counter? _tcpClosed;
    private readonly ConcurrentDictionary<HttpSeriesKey, HttpSeries> _http = new();
    private readonly ConcurrentDictionary<TcpSeriesKey, TcpSeries> _tcp = new();
    private readonly Func<HttpSeriesKey, HttpSeries> _newHttpSeries;
    private readonly Func<TcpSeriesKey, TcpSeries> _newTcpSeries;

    public IstioMetricFamilies(IstioMetricsLayout layout, WorkloadLabels self)
    {
        Layout = layout;
        _self = self;
        var factory = MetricFactories.For(Registry);
        _requests = Counter(factory, IstioFamily.Requests, "istio_requests_total", "Requests by source and destination (Istio standard metric).");
        _duration = Histogram(factory, IstioFamily.Duration, "istio_request_duration_milliseconds", "Request duration in milliseconds (Istio standard metric).", IstioLabelNames.DurationBuckets);
        _requestBytes = Histogram(factory, IstioFamily.RequestBytes, "istio_request_bytes", "Request size in bytes (Istio standard metric).", IstioLabelNames.SizeBuckets);
        _responseBytes = Histogram(factory, IstioFamily.ResponseBytes, "istio_response_bytes", "Response size in bytes (Istio standard metric).", IstioLabelNames.SizeBuckets);
        _tcpSent = Counter(factory, IstioFamily.TcpSent, "istio_tcp_sent_bytes_total", "Bytes sent back to the downstream on TCP connections (Istio standard metric).");
        _tcpReceived = Counter(factory, IstioFamily.TcpReceived, "istio_tcp_received_bytes_total", "Bytes received from the downstream on TCP connections (Istio standard metric).");
        _tcpOpened = Counter(factory, IstioFamily.TcpOpened, "istio_tcp_connections_opened_total", "TCP connections opened (Istio standard metric).");
        _tcpClosed = Counter(factory, IstioFamily.TcpClosed, "istio_tcp_connections_closed_total", "TCP connections closed (Istio standard metric).");
        _newHttpSeries = NewHttpSeries;
        _newTcpSeries = NewTcpSeries;
    }

    public IstioMetricsLayout Layout { get; }

    /// <summary>Only the istio_* families, exported after the sidecar's own registry.</summary>
    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public int HttpSeriesCount => _http.Count;

    public void RecordRequest(in HttpSeriesKey key, double durationMs, long requestBytes, long responseBytes)
    {
        var series = _http.GetOrAdd(key, _newHttpSeries);
        series.Requests?.Inc();
        series.Duration?.Observe(durationMs);
        series.RequestBytes?.Observe(requestBytes);
        series.ResponseBytes?.Observe(responseBytes);
    }

    public void RecordTcpOpened(in TcpSeriesKey key) => _tcp.GetOrAdd(key, _newTcpSeries).Opened?.Inc();

    public void RecordTcpClosed(in TcpSeriesKey key, long received, long sent)
    {
        var series = _tcp.GetOrAdd(key, _newTcpSeries);
        series.Received?.Inc(received);
        series.Sent?.Inc(sent);
        series.Closed?.Inc();
    }

    private Counter? Counter(MetricFactory factory, IstioFamily family, string name, string help) =>
        Layout[family] is { Reported: true } layout ? factory.CreateCounter(name, help, layout.LabelNames) : null;

    private Histogram? Histogram(MetricFactory factory, IstioFamily family, string name, string help, double[] buckets) =>
        Layout[family] is { Reported: true } layout
            ? factory.CreateHistogram(name, help, new HistogramConfiguration { LabelNames = layout.LabelNames, Buckets = buckets })
            : null;

    private HttpSeries NewHttpSeries(HttpSeriesKey key)
    {
        var standard = new string[IstioLabelNames.Http.Length];
        var next = FillWorkloads(standard, key.Direction, key.Peer, key.Service, key.PeerPrincipal, key.Policy);
        standard[next++] = key.Grpc ? "grpc" : "http";
        standard[next++] = key.ResponseCode.ToString(CultureInfo.InvariantCulture);
        standard[next++] = key.GrpcStatus;
        standard[next++] = key.Flags.ToShortString();
        standard[next] = key.Policy.ToLabel();
        return new HttpSeries(
            _requests is null ? null : Values(IstioFamily.Requests, key, standard) is { } requests ? _requests.WithLabels(requests) : null,
            HistogramChild(_duration, IstioFamily.Duration, key, standard),
            HistogramChild(_requestBytes, IstioFamily.RequestBytes, key, standard),
            HistogramChild(_responseBytes, IstioFamily.ResponseBytes, key, standard));
    }

    private Histogram.Child? HistogramChild(Histogram? histogram, IstioFamily family, in HttpSeriesKey key, string[] standard) =>
        histogram is not null && Values(family, key, standard) is { } values ? histogram.WithLabels(values) : null;

    private string[]? Values(IstioFamily family, in HttpSeriesKey key, string[] standard) =>
        Values(family, key.Direction, standard, key.ResponseCode, key.Service, key.Tags);

    private TcpSeries NewTcpSeries(TcpSeriesKey key)
    {
        var standard = new string[IstioLabelNames.Tcp.Length];
        var next = FillWorkloads(standard, key.Direction, key.Peer, key.Service, key.PeerPrincipal, key.Policy);
        standard[next++] = "tcp";
        standard[next++] = key.Flags.ToShortString();
        standard[next] = key.Policy.ToLabel();
        return new TcpSeries(
            TcpChild(_tcpSent, IstioFamily.TcpSent, key, standard),
            TcpChild(_tcpReceived, IstioFamily.TcpReceived, key, standard),
            TcpChild(_tcpOpened, IstioFamily.TcpOpened, key, standard),
            TcpChild(_tcpClosed, IstioFamily.TcpClosed, key, standard));
    }

    private Counter.Child? TcpChild(Counter? counter, IstioFamily family, in TcpSeriesKey key, string[] standard) =>
        counter is not null && Values(family, key.Direction, standard, 0, key.Service, null) is { } values ? counter.WithLabels(values) : null;

    /// <summary>The family's label values for the reporter, or null when the reporter does not report it.</summary>
    private string[]? Values(IstioFamily family, RequestDirection direction, string[] standard, int responseCode, ServiceLabels service, RequestTagValues? tags)
    {
        var plan = Layout[family].For(direction);
        if (!plan.Enabled)
        {
            return null;
        }

        var values = new string[plan.Sources.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var source = plan.Sources[i];
            values[i] = source.Kind switch
            {
                LabelSourceKind.Standard => standard[source.Index],
                LabelSourceKind.Request => tags?[source.Index] ?? IstioLabelNames.Unknown,
                LabelSourceKind.ResponseCode => responseCode.ToString(CultureInfo.InvariantCulture),
                LabelSourceKind.ClusterName => service.Config is null ? IstioLabelNames.Unknown : service.ClusterName,
                _ => source.Value,
            };
        }

        return values;
    }

    /// <summary>reporter, the eight source_* and the eleven destination_* values; returns the next index.</summary>
    private int FillWorkloads(string[] values, RequestDirection direction, WorkloadLabels peer, ServiceLabels service, string peerPrincipal, SecurityPolicy policy)
    {
        var outbound = direction == RequestDirection.Outbound;
        var source = outbound ? _self : peer;
        var destination = outbound ? peer : _self;
        values[0] = outbound ? "source" : "destination";
        values[1] = source.Workload;
        values[2] = source.CanonicalService;
        values[3] = source.CanonicalRevision;
        values[4] = source.Namespace;
        // The principals come from the connection's certificates: unknown without mTLS (Istio does the same). On the
        // source reporter, source_principal is this workload's own certificate when the upstream connection was
        // mTLS, which the callee's known principal shows.
        values[5] = outbound ? (peerPrincipal == IstioLabelNames.Unknown ? IstioLabelNames.Unknown : _self.Principal) : peerPrincipal;
        values[6] = source.App;
        values[7] = source.Version;
        values[8] = source.Cluster;
        values[9] = destination.Workload;
        values[10] = destination.Namespace;
        values[11] = outbound ? peerPrincipal : policy == SecurityPolicy.MutualTls ? _self.Principal : IstioLabelNames.Unknown;
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

    private sealed record HttpSeries(Counter.Child? Requests, Histogram.Child? Duration, Histogram.Child? RequestBytes, Histogram.Child? ResponseBytes);

    private sealed record TcpSeries(Counter.Child? Sent, Counter.Child? Received, Counter.Child? Opened, Counter.Child? Closed);
}
