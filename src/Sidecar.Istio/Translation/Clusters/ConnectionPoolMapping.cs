using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Clusters;

/// <summary>Istio's <c>applyConnectionPool</c>: connection pool settings to circuit breakers and connection options.
/// Zero means unset, as Istio cannot tell them apart.</summary>
internal static class ConnectionPoolMapping
{
    public static ClusterConfig Apply(ClusterConfig cluster, ConnectionPoolSettings? pool, TcpKeepalive? meshKeepalive, TimeSpan meshConnectTimeout)
    {
        var breakers = CircuitBreakersConfig.Default;
        if (pool?.Http is { } http)
        {
            breakers = breakers with
            {
                MaxRequests = http.Http2MaxRequests is > 0 and var r ? r : breakers.MaxRequests,
                MaxPendingRequests = http.Http1MaxPendingRequests is > 0 and var p ? p : breakers.MaxPendingRequests,
                MaxRetries = http.MaxRetries is > 0 and var m ? m : breakers.MaxRetries,
            };
        }

        if (pool?.Tcp?.MaxConnections is > 0 and var maxConnections)
        {
            breakers = breakers with { MaxConnections = maxConnections };
        }

        var keepalive = Keepalive(meshKeepalive, pool?.Tcp?.TcpKeepalive);
        return cluster with
        {
            CircuitBreakers = breakers == CircuitBreakersConfig.Default ? CircuitBreakersConfig.Default : breakers,
            ConnectTimeout = pool?.Tcp?.ConnectTimeout?.ToTimeSpan() ?? meshConnectTimeout,
            // Istio's idle timeout of pooled upstream connections: http.idleTimeout, else tcp.idleTimeout, else 1 h.
            IdleTimeout = (pool?.Http?.IdleTimeout ?? pool?.Tcp?.IdleTimeout)?.ToTimeSpan() ?? cluster.IdleTimeout,
            MaxRequestsPerConnection = pool?.Http?.MaxRequestsPerConnection is > 0 and var perConnection ? perConnection : null,
            MaxConnectionDuration = pool?.Tcp?.MaxConnectionDuration is { Nanoseconds: > 0 } duration ? duration.ToTimeSpan() : null,
            TcpKeepalive = keepalive,
        };
    }

    /// <summary>
    /// Istio's applyTCPKeepalive: the mesh's <c>tcpKeepalive</c> first, then each field the DestinationRule sets
    /// (probes above 0, time, interval) over it; either present turns SO_KEEPALIVE on, unset fields left to the OS.
    /// </summary>
    private static TcpKeepaliveConfig? Keepalive(TcpKeepalive? mesh, TcpKeepalive? rule)
    {
        if (mesh is null && rule is null)
        {
            return null;
        }

        return new TcpKeepaliveConfig(
            rule?.Probes is > 0 ? rule.Probes : mesh?.Probes is > 0 ? mesh.Probes : null,
            (rule?.Time ?? mesh?.Time)?.ToTimeSpan(),
            (rule?.Interval ?? mesh?.Interval)?.ToTimeSpan());
    }
}
