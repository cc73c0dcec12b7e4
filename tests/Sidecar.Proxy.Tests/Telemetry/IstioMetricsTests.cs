using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Tcp;
using Sidecar.Proxy.Telemetry.Metrics;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>Istio's standard metrics as Prometheus scrapes them (the registry's own text exposition).</summary>
public sealed class IstioMetricsTests
{
    private static readonly WorkloadInfo Productpage = new()
    {
        PodName = "productpage-v1-0", Namespace = "default", WorkloadName = "productpage-v1",
        Labels = Labels.From(("app", "productpage"), ("version", "v1")),
    };

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly IstioMetrics _metrics;

    public IstioMetricsTests() => _metrics = new IstioMetrics(_registry, WorkloadLabels.From(Productpage));

    [Fact]
    public async Task Tcp_connection_is_counted_opened_closed_and_by_bytes_each_way_without_response_code()
    {
        var tcp = new TcpTelemetry(_metrics);
        var cluster = Cluster("outbound|3306||mysql.db.svc.cluster.local", new ServiceMetadata("mysql.db.svc.cluster.local", "mysql", "db", 3306, null, "TCP"));
        var stats = new TcpConnectionStats(cluster.Name, cluster, RequestDirection.Outbound);

        tcp.OnOpened(stats);
        Assert.Contains("sidecar_tcp_connections_active 1", await ScrapeAsync(), StringComparison.Ordinal);
        stats.AddReceived(120);
        stats.AddSent(4096);
        tcp.OnClosed(stats);

        var text = await ScrapeAsync();
        const string labels = "reporter=\"source\",source_workload=\"productpage-v1\",source_canonical_service=\"productpage\",source_canonical_revision=\"v1\","
            + "source_workload_namespace=\"default\",source_principal=\"unknown\",source_app=\"productpage\",source_version=\"v1\",source_cluster=\"Kubernetes\","
            + "destination_workload=\"unknown\",destination_workload_namespace=\"unknown\",destination_principal=\"unknown\",destination_app=\"unknown\","
            + "destination_version=\"unknown\",destination_service=\"mysql.db.svc.cluster.local\",destination_canonical_service=\"unknown\","
            + "destination_canonical_revision=\"latest\",destination_service_name=\"mysql\",destination_service_namespace=\"db\",destination_cluster=\"unknown\","
            + "request_protocol=\"tcp\",response_flags=\"-\",connection_security_policy=\"unknown\"";
        Assert.Contains($"istio_tcp_connections_opened_total{{{labels}}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"istio_tcp_connections_closed_total{{{labels}}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"istio_tcp_received_bytes_total{{{labels}}} 120", text, StringComparison.Ordinal);
        Assert.Contains($"istio_tcp_sent_bytes_total{{{labels}}} 4096", text, StringComparison.Ordinal);
        Assert.Contains("sidecar_tcp_connections_active 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_tcp_connection_counts_as_opened_and_closed_with_its_flag()
    {
        var tcp = new TcpTelemetry(_metrics);
        var stats = new TcpConnectionStats("outbound|3306||mysql.db.svc.cluster.local", null, RequestDirection.Outbound) { Flags = ResponseFlags.NoClusterFound };

        tcp.OnClosed(stats);

        var text = await ScrapeAsync();
        Assert.Matches("istio_tcp_connections_opened_total\\{[^}]*response_flags=\"NC\"[^}]*\\} 1", text);
        Assert.Matches("istio_tcp_connections_closed_total\\{[^}]*response_flags=\"NC\"[^}]*\\} 1", text);
    }

    [Fact]
    public async Task Requests_with_the_same_labels_share_one_series()
    {
        var key = new HttpSeriesKey(RequestDirection.Inbound, WorkloadLabels.Unknown, ServiceLabels.Unknown, "spiffe://cluster.local/ns/default/sa/bookinfo-productpage", 200, ResponseFlags.None, false, "", SecurityPolicy.MutualTls);

        _metrics.RecordRequest(key, 3, 0, 10);
        _metrics.RecordRequest(key with { }, 7, 0, 10);

        Assert.Equal(1, _metrics.HttpSeriesCount);
        var text = await ScrapeAsync();
        Assert.Matches("istio_requests_total\\{reporter=\"destination\",[^}]*source_principal=\"spiffe://cluster.local/ns/default/sa/bookinfo-productpage\"[^}]*destination_principal=\"spiffe://cluster.local/ns/default/sa/default\"[^}]*connection_security_policy=\"mutual_tls\"\\} 2", text);
        Assert.Matches("istio_request_duration_milliseconds_sum\\{[^}]*\\} 10", text);
    }

    [Fact]
    public async Task Telemetry_overrides_remove_a_tag_add_a_literal_one_and_disable_a_metric_for_one_reporter()
    {
        // Telemetry metrics.overrides: REMOVE for both reporters takes the label out of the family; UPSERT of a new
        // tag adds it; REQUEST_COUNT disabled for CLIENT leaves only the destination reporter's count.
        _metrics.Apply(
        [
            new MetricOverrideConfig(IstioMetric.AllMetrics, WorkloadMode.ClientAndServer, null,
                [new TagOverrideConfig("destination_canonical_revision", true, null), new TagOverrideConfig("team", false, "'payments'")]),
            new MetricOverrideConfig(IstioMetric.RequestCount, WorkloadMode.Client, true, []),
            new MetricOverrideConfig(IstioMetric.ResponseSize, WorkloadMode.Server, null, [new TagOverrideConfig("response_code", true, null)]),
        ]);
        var outbound = new HttpSeriesKey(RequestDirection.Outbound, WorkloadLabels.Unknown, ServiceLabels.Unknown, "unknown", 200, ResponseFlags.None, false, "", SecurityPolicy.Unknown);

        _metrics.RecordRequest(outbound, 3, 0, 10);
        _metrics.RecordRequest(outbound with { Direction = RequestDirection.Inbound }, 3, 0, 10);

        var text = await ScrapeAsync();
        Assert.DoesNotContain("destination_canonical_revision", text, StringComparison.Ordinal);
        Assert.DoesNotMatch("istio_requests_total\\{reporter=\"source\"", text);
        Assert.Matches("istio_requests_total\\{reporter=\"destination\",[^}]*response_code=\"200\"[^}]*,team=\"payments\"\\} 1", text);
        Assert.Matches("istio_request_duration_milliseconds_count\\{reporter=\"source\",[^}]*,team=\"payments\"\\} 1", text);
        // Removed for one reporter only: the family keeps the label, empty (absent to Prometheus) for that reporter.
        Assert.Matches("istio_response_bytes_count\\{reporter=\"destination\",[^}]*response_code=\"\"[^}]*\\} 1", text);
        Assert.Matches("istio_response_bytes_count\\{reporter=\"source\",[^}]*response_code=\"200\"[^}]*\\} 1", text);
    }

    [Fact]
    public async Task A_metric_disabled_for_both_reporters_is_not_exported_and_clearing_the_overrides_brings_it_back()
    {
        var key = new HttpSeriesKey(RequestDirection.Inbound, WorkloadLabels.Unknown, ServiceLabels.Unknown, "unknown", 200, ResponseFlags.None, false, "", SecurityPolicy.None);
        _metrics.Apply([new MetricOverrideConfig(IstioMetric.RequestSize, WorkloadMode.ClientAndServer, true, [])]);
        _metrics.RecordRequest(key, 3, 5, 10);
        Assert.DoesNotContain("istio_request_bytes", await ScrapeAsync(), StringComparison.Ordinal);

        _metrics.Apply([]);
        _metrics.RecordRequest(key, 3, 5, 10);

        var text = await ScrapeAsync();
        Assert.Matches("istio_request_bytes_count\\{reporter=\"destination\",[^}]*\\} 1", text);
        // New families start from zero, as Envoy's stats do when the stats filter config changes.
        Assert.Matches("istio_requests_total\\{reporter=\"destination\",[^}]*\\} 1", text);
    }

    [Fact]
    public async Task Per_request_tag_values_make_distinct_series_and_sanitized_names()
    {
        _metrics.Apply([new MetricOverrideConfig(IstioMetric.RequestCount, WorkloadMode.ClientAndServer, null, [new TagOverrideConfig("request.host", false, "request.host")])]);
        var expressions = _metrics.Families.Layout.RequestExpressions(RequestDirection.Outbound);
        Assert.Equal([new MetricTagExpression(MetricTagSource.RequestHost, "request.host")], expressions);
        var key = new HttpSeriesKey(RequestDirection.Outbound, WorkloadLabels.Unknown, ServiceLabels.Unknown, "unknown", 200, ResponseFlags.None, false, "", SecurityPolicy.Unknown);

        _metrics.RecordRequest(key with { Tags = new RequestTagValues(["reviews:9080"]) }, 1, 0, 0);
        _metrics.RecordRequest(key with { Tags = new RequestTagValues(["reviews:9080"]) }, 1, 0, 0);
        _metrics.RecordRequest(key with { Tags = new RequestTagValues(["ratings:9080"]) }, 1, 0, 0);

        Assert.Equal(2, _metrics.HttpSeriesCount);
        var text = await ScrapeAsync();
        // Envoy's Prometheus output turns characters outside [a-zA-Z0-9_] into '_'.
        Assert.Matches("istio_requests_total\\{[^}]*,request_host=\"reviews:9080\"\\} 2", text);
        Assert.Matches("istio_requests_total\\{[^}]*,request_host=\"ratings:9080\"\\} 1", text);
    }

    private async Task<string> ScrapeAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        await _metrics.ExportAsTextAsync(stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static ClusterState Cluster(string name, ServiceMetadata service) =>
        new(new ClusterConfig { Name = name, Endpoints = [new EndpointConfig { Address = "10.0.0.9", Port = 3306 }], Service = service }, TimeProvider.System, NullLogger.Instance);
}
