namespace Sidecar.Model;

/// <summary>Istio's <c>accessLogEncoding</c>.</summary>
public enum AccessLogEncoding
{
    /// <summary>Envoy's default text format.</summary>
    Text,

    /// <summary>One JSON object per line, keyed by Istio's JSON access log field names.</summary>
    Json,
}

/// <summary>How spans leave the sidecar: Istio's <c>extensionProviders</c> kinds <c>opentelemetry</c> (gRPC or HTTP) and <c>zipkin</c>.</summary>
public enum TracingProtocol
{
    OtlpGrpc,
    OtlpHttp,
    Zipkin,
}

/// <summary>A trace collector: for OTLP/gRPC the collector's base address, for OTLP/HTTP and Zipkin the full URL spans are posted to.</summary>
public sealed record TracingProviderConfig(string Name, TracingProtocol Protocol, Uri Endpoint);

/// <summary>
/// The telemetry part of Istio's MeshConfig: <c>accessLogFile</c>, <c>accessLogEncoding</c>, <c>enableTracing</c>,
/// <c>defaultConfig.tracing.sampling</c> and the tracing provider named by <c>defaultProviders.tracing</c>.
/// </summary>
public sealed record TelemetryConfig
{
    public static readonly TelemetryConfig Default = new();

    /// <summary>Where access logs go (<c>/dev/stdout</c>, a file); empty turns them off, as in Istio.</summary>
    public string AccessLogFile { get; init; } = "";

    public AccessLogEncoding AccessLogEncoding { get; init; } = AccessLogEncoding.Text;

    /// <summary>Istio's <c>accessLogFormat</c>: an Envoy format string (TEXT) or a JSON object of them (JSON); empty: the default format.</summary>
    public string AccessLogFormat { get; init; } = "";

    /// <summary>Telemetry <c>accessLogging[].match.mode</c>: which side's requests are logged.</summary>
    public WorkloadMode AccessLogMode { get; init; } = WorkloadMode.ClientAndServer;

    /// <summary>Telemetry <c>accessLogging[].filter.expression</c>: only requests it holds for are logged; null logs all.</summary>
    public AccessLogFilterExpression? AccessLogFilter { get; init; }

    /// <summary>Istio's <c>enableTracing</c> (default true): with it off no span is made even with a provider.</summary>
    public bool EnableTracing { get; init; } = true;

    /// <summary>Istio's <c>defaultConfig.tracing.sampling</c>: the percentage of new traces sampled (default 1).</summary>
    public double TracingSamplingPercent { get; init; } = 1.0;

    /// <summary>Telemetry <c>tracing[].enableIstioTags</c> (default true): spans carry the <c>istio.*</c> tags.</summary>
    public bool TracingIstioTags { get; init; } = true;

    /// <summary>Telemetry <c>tracing[].disableContextPropagation</c> turns this off: no trace headers go upstream.</summary>
    public bool TracingContextPropagation { get; init; } = true;

    /// <summary>The collector spans are exported to; null: no tracing provider in the mesh config.</summary>
    public TracingProviderConfig? TracingProvider { get; init; }

    /// <summary>Telemetry API <c>metrics</c> overrides for the Prometheus provider, mesh level first, workload level last (later entries win).</summary>
    public EquatableArray<MetricOverrideConfig> MetricOverrides { get; init; }
}
