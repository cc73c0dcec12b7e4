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

/// <summary>
/// A trace collector: for OTLP/gRPC the collector's base address, for OTLP/HTTP and Zipkin the full URL spans are
/// posted to. <paramref name="Cluster"/>: the collector's service cluster (Istio's <c>outbound|port||host</c>), which
/// spans go through when the sidecar has it (its endpoints, its mTLS), as Envoy sends them; else the address is dialled.
/// </summary>
public sealed record TracingProviderConfig(string Name, TracingProtocol Protocol, Uri Endpoint, string? Cluster = null);

/// <summary>
/// The telemetry part of Istio's MeshConfig (<c>accessLogFile</c>, <c>accessLogEncoding</c>, <c>enableTracing</c>,
/// <c>defaultConfig.tracing</c>, the providers named by <c>defaultProviders</c>) as the Telemetry API refines it.
/// </summary>
public sealed record TelemetryConfig
{
    public static readonly TelemetryConfig Default = new();

    /// <summary>Where access logs go (<c>/dev/stdout</c>, a file); empty turns them off, as in Istio.</summary>
    public string AccessLogFile { get; init; } = "";

    public AccessLogEncoding AccessLogEncoding { get; init; } = AccessLogEncoding.Text;

    /// <summary>Istio's <c>accessLogFormat</c>: an Envoy format string (TEXT) or a JSON object of them (JSON); empty: the default format.</summary>
    public string AccessLogFormat { get; init; } = "";

    /// <summary>The <c>envoyOtelAls</c> provider's log, exported beside (or instead of) the file log; null when none.</summary>
    public OpenTelemetryAccessLogConfig? OpenTelemetryAccessLog { get; init; }

    /// <summary>Telemetry <c>accessLogging[].match.mode</c>: which side's requests are logged.</summary>
    public WorkloadMode AccessLogMode { get; init; } = WorkloadMode.ClientAndServer;

    /// <summary>Telemetry <c>accessLogging[].filter.expression</c>: only requests it holds for are logged; null logs all.</summary>
    public AccessLogFilterExpression? AccessLogFilter { get; init; }

    /// <summary>Istio's <c>enableTracing</c> (default true): with it off no span is made even with a provider.</summary>
    public bool EnableTracing { get; init; } = true;

    /// <summary>Tracing of outbound requests (Telemetry <c>match.mode</c> CLIENT).</summary>
    public TracingConfig ClientTracing { get; init; } = TracingConfig.Default;

    /// <summary>Tracing of inbound requests (Telemetry <c>match.mode</c> SERVER).</summary>
    public TracingConfig ServerTracing { get; init; } = TracingConfig.Default;

    /// <summary>Telemetry API <c>metrics</c> overrides for the Prometheus provider, mesh level first, workload level last (later entries win).</summary>
    public EquatableArray<MetricOverrideConfig> MetricOverrides { get; init; }

    /// <summary>Changes the tracing of the sides <paramref name="mode"/> covers.</summary>
    public TelemetryConfig WithTracing(WorkloadMode mode, Func<TracingConfig, TracingConfig> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return this with
        {
            ClientTracing = mode.Includes(WorkloadMode.Client) ? change(ClientTracing) : ClientTracing,
            ServerTracing = mode.Includes(WorkloadMode.Server) ? change(ServerTracing) : ServerTracing,
        };
    }
}
