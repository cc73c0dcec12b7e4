using Prometheus;
using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.Proxy.Dns;

/// <summary>pilot-agent's DNS proxy metrics (pkg/dns/client/monitoring.go), under the agent's <c>istio_agent_</c> prefix.</summary>
internal sealed class DnsMetrics
{
    public DnsMetrics(CollectorRegistry registry)
    {
        var factory = MetricFactories.For(registry);
        Requests = factory.CreateCounter("istio_agent_dns_requests_total", "Total number of DNS requests.");
        UpstreamRequests = factory.CreateCounter("istio_agent_dns_upstream_requests_total", "Total number of DNS requests forwarded to upstream.");
        UpstreamFailures = factory.CreateCounter("istio_agent_dns_upstream_failures_total", "Total number of DNS failures forwarding to upstream.");
        UpstreamDuration = factory.CreateHistogram("istio_agent_dns_upstream_request_duration_seconds", "Total time in seconds Istio takes to get DNS response from upstream.",
            new HistogramConfiguration { Buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5] });
    }

    public Counter Requests { get; }

    public Counter UpstreamRequests { get; }

    public Counter UpstreamFailures { get; }

    public Histogram UpstreamDuration { get; }
}
