namespace Sidecar.Model;

/// <summary>Istio's <c>MetricSelector.IstioMetric</c>: which standard metric an override applies to.</summary>
public enum IstioMetric
{
    AllMetrics,
    RequestCount,
    RequestDuration,
    RequestSize,
    ResponseSize,
    TcpOpenedConnections,
    TcpClosedConnections,
    TcpSentBytes,
    TcpReceivedBytes,
    GrpcRequestMessages,
    GrpcResponseMessages,
}

/// <summary>
/// One Telemetry <c>metrics[].overrides[]</c> entry for the Prometheus provider: the metric and reporter it matches,
/// whether that metric is reported at all, and label changes (removals, or values computed per request).
/// </summary>
public sealed record MetricOverrideConfig(IstioMetric Metric, WorkloadMode Mode, bool? Disabled, EquatableArray<TagOverrideConfig> Tags);

/// <summary>A <c>tagOverrides</c> entry: REMOVE drops the label; UPSERT sets it (adding it if new) to <see cref="Value"/>'s result.</summary>
public sealed record TagOverrideConfig(string Name, bool Remove, string? Value);
