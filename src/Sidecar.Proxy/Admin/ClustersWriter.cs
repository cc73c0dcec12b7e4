using System.Globalization;
using System.Text;
using System.Text.Json;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Admin;

/// <summary>Envoy's <c>/clusters</c>: every cluster's circuit breakers and each endpoint's counters and health.</summary>
internal static class ClustersWriter
{
    public static string WriteText(DataPlaneSnapshot snapshot, long now)
    {
        var text = new StringBuilder();
        foreach (var cluster in snapshot.Clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var name = cluster.Name;
            var breakers = cluster.Config.CircuitBreakers;
            // Envoy's first line per cluster (scripts split the listing on it): istiod sets no alt_stat_name by default.
            text.Append(name).Append("::observability_name::").Append(name).Append('\n');
            Line(text, name, "default_priority::max_connections", breakers.MaxConnections);
            Line(text, name, "default_priority::max_pending_requests", breakers.MaxPendingRequests);
            Line(text, name, "default_priority::max_requests", breakers.MaxRequests);
            Line(text, name, "default_priority::max_retries", breakers.RetryLimit(cluster.ActiveRequests));
            // istiod sets no HIGH priority thresholds: Envoy's defaults, which no request of a sidecar uses.
            Line(text, name, "high_priority::max_connections", 1024);
            Line(text, name, "high_priority::max_pending_requests", 1024);
            Line(text, name, "high_priority::max_requests", 1024);
            Line(text, name, "high_priority::max_retries", 3);
            text.Append(name).Append("::added_via_api::true\n");
            foreach (var endpoint in cluster.Endpoints.All)
            {
                var prefix = $"{name}::{endpoint.Key}";
                Line(text, prefix, "cx_active", endpoint.ConnectionsActive);
                Line(text, prefix, "cx_connect_fail", endpoint.ConnectFailures);
                Line(text, prefix, "cx_total", endpoint.ConnectionsTotal + endpoint.ConnectFailures);
                Line(text, prefix, "rq_active", endpoint.ActiveRequests);
                Line(text, prefix, "rq_error", endpoint.RequestsError);
                Line(text, prefix, "rq_success", endpoint.RequestsTotal - endpoint.RequestsError - endpoint.ActiveRequests);
                Line(text, prefix, "rq_timeout", endpoint.RequestsTimedOut);
                Line(text, prefix, "rq_total", endpoint.RequestsTotal);
                text.Append(prefix).Append("::hostname::").Append(endpoint.Config.Address == endpoint.Address ? "" : endpoint.Config.Address).Append('\n');
                text.Append(prefix).Append("::health_flags::").Append(HealthFlags(endpoint, now)).Append('\n');
                Line(text, prefix, "weight", endpoint.Weight);
                var (region, zone, subzone) = LocalityParts.Parse(endpoint.Config.Locality);
                text.Append(prefix).Append("::region::").Append(region).Append('\n');
                text.Append(prefix).Append("::zone::").Append(zone).Append('\n');
                text.Append(prefix).Append("::sub_zone::").Append(subzone).Append('\n');
                text.Append(prefix).Append("::canary::false\n");
                Line(text, prefix, "priority", endpoint.Config.Priority);
                // No success-rate outlier detection runs (Istio configures consecutive errors only): Envoy prints -1.
                Line(text, prefix, "success_rate", -1);
                Line(text, prefix, "local_origin_success_rate", -1);
            }
        }

        return text.ToString();
    }

    public static byte[] WriteJson(DataPlaneSnapshot snapshot, long now)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("cluster_statuses");
            foreach (var cluster in snapshot.Clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("name", cluster.Name);
                json.WriteBoolean("added_via_api", true);
                json.WriteStartArray("host_statuses");
                foreach (var endpoint in cluster.Endpoints.All)
                {
                    json.WriteStartObject();
                    EnvoyDump.EnvoyJson.WriteSocketAddress(json, "address", endpoint.Address, endpoint.Port);
                    json.WriteStartArray("stats");
                    Stat(json, "cx_active", endpoint.ConnectionsActive);
                    Stat(json, "cx_connect_fail", endpoint.ConnectFailures);
                    Stat(json, "cx_total", endpoint.ConnectionsTotal + endpoint.ConnectFailures);
                    Stat(json, "rq_active", endpoint.ActiveRequests);
                    Stat(json, "rq_error", endpoint.RequestsError);
                    Stat(json, "rq_success", endpoint.RequestsTotal - endpoint.RequestsError - endpoint.ActiveRequests);
                    Stat(json, "rq_timeout", endpoint.RequestsTimedOut);
                    Stat(json, "rq_total", endpoint.RequestsTotal);
                    json.WriteEndArray();
                    json.WriteStartObject("health_status");
                    json.WriteString("eds_health_status", endpoint.Config.Health switch
                    {
                        EndpointHealth.Unhealthy => "UNHEALTHY",
                        EndpointHealth.Draining => "DRAINING",
                        _ => "HEALTHY",
                    });
                    if (endpoint.IsEjected(now))
                    {
                        json.WriteBoolean("failed_outlier_check", true);
                    }

                    json.WriteEndObject();
                    json.WriteNumber("weight", endpoint.Weight);
                    json.WriteNumber("priority", endpoint.Config.Priority);
                    if (endpoint.Config.Locality is { } locality)
                    {
                        var (region, zone, subzone) = LocalityParts.Parse(locality);
                        json.WriteStartObject("locality");
                        json.WriteString("region", region);
                        json.WriteString("zone", zone);
                        json.WriteString("sub_zone", subzone);
                        json.WriteEndObject();
                    }

                    if (endpoint.Config.Labels.Count > 0)
                    {
                        json.WriteStartObject("labels");
                        foreach (var (key, value) in endpoint.Config.Labels)
                        {
                            json.WriteString(key, value);
                        }

                        json.WriteEndObject();
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string HealthFlags(EndpointState endpoint, long now)
    {
        var flags = new List<string>();
        if (endpoint.Config.Health == EndpointHealth.Unhealthy)
        {
            flags.Add("/failed_eds_health");
        }

        if (endpoint.Config.Health == EndpointHealth.Draining)
        {
            flags.Add("/pending_dynamic_removal");
        }

        if (endpoint.IsEjected(now))
        {
            flags.Add("/failed_outlier_check");
        }

        return flags.Count == 0 ? "healthy" : string.Join("", flags);
    }

    private static void Line(StringBuilder text, string prefix, string stat, long value) =>
        text.Append(prefix).Append("::").Append(stat).Append("::").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private static void Stat(Utf8JsonWriter json, string name, long value)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteNumber("value", value);
        json.WriteEndObject();
    }
}
