namespace Sidecar.Model;

/// <summary>Envoy's HTTP fault filter per-route config, from Istio's <c>HTTPFaultInjection</c>.</summary>
public sealed record FaultConfig
{
    public DelayFaultConfig? Delay { get; init; }

    public AbortFaultConfig? Abort { get; init; }
}

/// <summary>A fixed delay applied to a share of requests (response flag <c>DI</c>).</summary>
public sealed record DelayFaultConfig(TimeSpan FixedDelay, Percentage Percentage);

/// <summary>
/// An abort applied to a share of requests (response flag <c>FI</c>): an HTTP status, or a gRPC status sent as a
/// trailers-only response with HTTP 200.
/// </summary>
public sealed record AbortFaultConfig(int? HttpStatus, int? GrpcStatus, Percentage Percentage);
