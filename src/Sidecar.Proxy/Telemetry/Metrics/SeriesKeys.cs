using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// What distinguishes one HTTP series: the label objects are cached instances compared by reference, so building
/// and hashing a key allocates nothing. <see cref="Tags"/> holds the values of per-request Telemetry tag overrides
/// (null without them).
/// </summary>
internal readonly record struct HttpSeriesKey(
    RequestDirection Direction,
    WorkloadLabels Peer,
    ServiceLabels Service,
    string PeerPrincipal,
    int ResponseCode,
    ResponseFlags Flags,
    bool Grpc,
    string GrpcStatus,
    SecurityPolicy Policy,
    RequestTagValues? Tags = null);

/// <summary>What distinguishes one TCP series.</summary>
internal readonly record struct TcpSeriesKey(
    RequestDirection Direction,
    WorkloadLabels Peer,
    ServiceLabels Service,
    string PeerPrincipal,
    ResponseFlags Flags,
    SecurityPolicy Policy);
