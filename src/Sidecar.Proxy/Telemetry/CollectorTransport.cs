using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// How spans and access log records reach their collector: through the collector service's cluster when the sidecar
/// has it, as Envoy's <c>envoy_grpc</c> service and tracer clusters do (its endpoints, its load balancing, its mTLS:
/// a collector behind a STRICT sidecar is reached), else by dialling the collector's address. The cluster is looked up
/// on each export, so a push that adds or changes it applies without rebuilding the exporter.
/// </summary>
internal sealed class CollectorTransport(DataPlane dataPlane)
{
    /// <summary>The HTTP client an OpenTelemetry exporter sends with (its factory's product).</summary>
    public HttpClient ClientFor(string? cluster, TimeSpan timeout) =>
        new(new CollectorHandler(dataPlane, cluster)) { Timeout = timeout };

    private sealed class CollectorHandler(DataPlane dataPlane, string? cluster) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (cluster is not null && dataPlane.Current?.Clusters.GetValueOrDefault(cluster) is { } state)
            {
                using var invoker = new HttpMessageInvoker(new ClusterMessageHandler(state, Random.Shared));
                return await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}
