using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// Telemetry settings a standalone user gives on the command line (they override the mesh config's), and the
/// application's metrics endpoint that the status port merges (Istio's <c>ISTIO_PROMETHEUS_ANNOTATIONS</c>).
/// </summary>
public sealed record TelemetryOptions
{
    public static readonly TelemetryOptions Default = new();

    /// <summary>A collector given by flag (<c>--otlp-endpoint</c>, <c>--zipkin-endpoint</c>); it wins over MeshConfig's provider.</summary>
    public TracingProviderConfig? TracingProvider { get; init; }

    /// <summary><c>--tracing-sampling</c>: percentage of new traces sampled; null: MeshConfig's (default 1).</summary>
    public double? SamplingPercent { get; init; }

    /// <summary><c>--access-log</c>: a path or <c>/dev/stdout</c>; empty string turns logs off; null: MeshConfig's <c>accessLogFile</c>.</summary>
    public string? AccessLogFile { get; init; }

    /// <summary><c>--access-log-encoding</c>; null: MeshConfig's <c>accessLogEncoding</c>.</summary>
    public AccessLogEncoding? AccessLogEncoding { get; init; }

    /// <summary>The application's own metrics (from <c>prometheus.io/scrape|port|path</c>), merged on the status port; null: none.</summary>
    public Uri? ApplicationMetrics { get; init; }
}
