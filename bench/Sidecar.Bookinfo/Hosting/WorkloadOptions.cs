using System.Net;

namespace Sidecar.Bookinfo.Hosting;

/// <summary>What one bookinfo process serves, where, and how it reaches the other services.</summary>
/// <param name="Role">The workload played.</param>
/// <param name="Version">The workload version label (v1, v2, v3): reviews' behaviour depends on it.</param>
/// <param name="Listen">The address Kestrel binds; port 0 picks a free port.</param>
/// <param name="Name">The workload name reported in <c>x-bookinfo-workload</c>; the role's name by default.</param>
/// <param name="Upstream">
/// The sidecar's outbound listener. Calls to other services are sent there with <c>Host: service:9080</c> so a
/// standalone sidecar routes them by Host; null connects to the service host name directly (transparent capture).
/// </param>
/// <param name="PayloadBytes">Echo only: answer every request with a body of this many bytes instead of JSON.</param>
/// <param name="Http2Only">
/// Listen for HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1; Kestrel picks HTTP/2 on a cleartext port only when
/// it is the port's sole protocol.
/// </param>
internal sealed record WorkloadOptions(
    WorkloadRole Role,
    string Version,
    IPEndPoint Listen,
    string Name,
    Uri? Upstream,
    int PayloadBytes,
    bool Http2Only)
{
    /// <summary>The value of <c>x-bookinfo-workload</c>: name and version, e.g. <c>reviews-v2</c>.</summary>
    public string Workload => Name + "-" + Version;
}
