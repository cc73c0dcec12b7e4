namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>Istio's standard metric labels, in the order istio/proxy's stats plugin writes them.</summary>
internal static class IstioLabelNames
{
    public const string Unknown = "unknown";

    /// <summary>The HTTP/gRPC request metrics' labels (istio_requests_total and the three histograms).</summary>
    public static readonly string[] Http =
    [
        "reporter",
        "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
        "source_principal", "source_app", "source_version", "source_cluster",
        "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
        "destination_version", "destination_service", "destination_canonical_service", "destination_canonical_revision",
        "destination_service_name", "destination_service_namespace", "destination_cluster",
        "request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
    ];

    /// <summary>The TCP metrics' labels: the same without response_code and grpc_response_status.</summary>
    public static readonly string[] Tcp =
    [
        "reporter",
        "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
        "source_principal", "source_app", "source_version", "source_cluster",
        "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
        "destination_version", "destination_service", "destination_canonical_service", "destination_canonical_revision",
        "destination_service_name", "destination_service_namespace", "destination_cluster",
        "request_protocol", "response_flags", "connection_security_policy",
    ];

    /// <summary>Istio's default duration buckets, in milliseconds.</summary>
    public static readonly double[] DurationBuckets =
        [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>Istio's size buckets, in bytes: 1 to 10^9 by powers of ten.</summary>
    public static readonly double[] SizeBuckets = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];
}
