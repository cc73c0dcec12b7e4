namespace Sidecar.Model;

/// <summary>One attribute of an OpenTelemetry access log record: its key and the Envoy format string of its value.</summary>
public sealed record AccessLogAttribute(string Key, string Format);

/// <summary>
/// Istio's <c>envoyOtelAls</c> access log provider as Envoy's <c>envoy.access_loggers.open_telemetry</c> runs it: a
/// log record per request (or connection) exported to an OTLP/gRPC collector, its body a text format
/// (<c>logFormat.text</c>; null for Istio's default text line), its attributes <c>logFormat.labels</c>, each
/// value a format string of its own. <paramref name="Cluster"/>: the collector's service cluster, which the records go
/// through when the sidecar has it (Envoy's <c>envoy_grpc</c>: its endpoints, its mTLS); else the endpoint is dialled.
/// </summary>
public sealed record OpenTelemetryAccessLogConfig(string Provider, Uri Endpoint, string? Body, EquatableArray<AccessLogAttribute> Attributes, string? Cluster = null);
