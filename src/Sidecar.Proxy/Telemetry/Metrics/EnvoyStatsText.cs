using System.Globalization;
using System.Text;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Envoy's admin <c>/stats</c> text: one <c>name: value</c> line per counter and gauge, sorted by name, with Envoy's
/// stat names for what this sidecar tracks (cluster upstream requests, retries, overflows, membership; config updates).
/// </summary>
internal static class EnvoyStatsText
{
    /// <summary>The stats, by name.</summary>
    public static SortedDictionary<string, long> Collect(DataPlane dataPlane, long accessLogDropped)
    {
        ArgumentNullException.ThrowIfNull(dataPlane);
        var stats = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["cluster_manager.cds.update_success"] = dataPlane.Store.PushCount,
            ["cluster_manager.cds.update_rejected"] = dataPlane.Store.RejectedCount,
            ["listener_manager.lds.update_success"] = dataPlane.Store.PushCount,
            ["listener_manager.lds.update_rejected"] = dataPlane.Store.RejectedCount,
            ["access_log_file.write_buffered_dropped"] = accessLogDropped,
        };

        if (dataPlane.Current is { } snapshot)
        {
            stats["cluster_manager.active_clusters"] = snapshot.Clusters.Count;
            foreach (var (name, cluster) in snapshot.Clusters)
            {
                var prefix = "cluster." + name + ".";
                stats[prefix + "upstream_rq_total"] = cluster.RequestsTotal;
                stats[prefix + "upstream_rq_retry"] = cluster.Retries;
                stats[prefix + "upstream_rq_pending_overflow"] = cluster.Overflows;
                stats[prefix + "upstream_rq_pending_total"] = cluster.PendingTotal;
                stats[prefix + "upstream_rq_pending_active"] = cluster.PendingActive;
                stats[prefix + "upstream_rq_pending_failure_eject"] = 0;
                stats[prefix + "upstream_cx_overflow"] = cluster.ConnectionOverflows;
                WriteCircuitBreakers(stats, prefix, cluster);
                stats[prefix + "upstream_rq_retry_overflow"] = cluster.RetryOverflows;
                stats[prefix + "upstream_rq_active"] = cluster.ActiveRequests;
                stats[prefix + "membership_total"] = cluster.Endpoints.All.Length;
                stats[prefix + "membership_healthy"] = cluster.Endpoints.Healthy.Length;
            }
        }

        return stats;
    }

    /// <summary>Envoy's text format: <c>name: value</c> lines.</summary>
    public static string WriteText(IEnumerable<KeyValuePair<string, long>> stats)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in stats)
        {
            text.Append(name).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Envoy's <c>?format=json</c>: <c>{"stats":[{"name":...,"value":...}]}</c>.</summary>
    public static byte[] WriteJson(IEnumerable<KeyValuePair<string, long>> stats)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("stats");
            foreach (var (name, value) in stats)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteNumber("value", value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The default priority's breaker gauges, which Istio's clusters report (<c>track_remaining</c>): whether each
    /// breaker is open and how much room is left; the high priority, which Istio never uses, stays closed.
    /// </summary>
    private static void WriteCircuitBreakers(SortedDictionary<string, long> stats, string prefix, Upstream.ClusterState cluster)
    {
        var limits = cluster.Config.CircuitBreakers;
        var pending = cluster.PendingActive;
        var active = cluster.ActiveRequests;
        var retries = cluster.ActiveRetries;
        stats[prefix + "circuit_breakers.default.rq_pending_open"] = pending >= limits.MaxPendingRequests ? 1 : 0;
        stats[prefix + "circuit_breakers.default.remaining_pending"] = Math.Max(0, limits.MaxPendingRequests - pending);
        stats[prefix + "circuit_breakers.default.rq_open"] = active >= limits.MaxRequests ? 1 : 0;
        stats[prefix + "circuit_breakers.default.remaining_rq"] = Math.Max(0, limits.MaxRequests - active);
        var retryLimit = limits.RetryLimit(active);
        stats[prefix + "circuit_breakers.default.rq_retry_open"] = retries >= retryLimit ? 1 : 0;
        // Envoy does not track what a retry budget leaves (its remaining gauge stays 0).
        stats[prefix + "circuit_breakers.default.remaining_retries"] = limits.RetryBudget is null ? Math.Max(0, retryLimit - retries) : 0;
        var connections = cluster.ActiveTcpConnections;
        stats[prefix + "circuit_breakers.default.cx_open"] = connections >= limits.MaxConnections ? 1 : 0;
        stats[prefix + "circuit_breakers.default.remaining_cx"] = Math.Max(0, limits.MaxConnections - connections);
        stats[prefix + "circuit_breakers.high.rq_pending_open"] = 0;
        stats[prefix + "circuit_breakers.high.rq_open"] = 0;
    }
}
