using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// A cluster's endpoints as Envoy's <c>config.endpoint.v3.ClusterLoadAssignment</c>: grouped by locality and
/// priority, each with its health, weight and the metadata istiod sets (<c>istio.workload</c>, and the
/// <c>tlsMode</c> that auto mTLS's transport socket match reads).
/// </summary>
internal static class ClusterLoadAssignmentWriter
{
    public static void Write(Utf8JsonWriter writer, string? property, ClusterConfig cluster, DumpSource source)
    {
        EnvoyJson.StartTyped(writer, property, "envoy.config.endpoint.v3.ClusterLoadAssignment");
        writer.WriteString("cluster_name", cluster.Name);
        writer.WriteStartArray("endpoints");
        foreach (var group in cluster.Endpoints.GroupBy(e => (e.Locality, e.Priority, e.LocalityWeight)).OrderBy(g => g.Key.Priority))
        {
            writer.WriteStartObject();
            if (group.Key.Locality is { } locality)
            {
                WriteLocality(writer, locality);
            }

            writer.WriteStartArray("lb_endpoints");
            foreach (var endpoint in group)
            {
                WriteEndpoint(writer, endpoint, source);
            }

            writer.WriteEndArray();
            if (group.Key.LocalityWeight is { } weight)
            {
                writer.WriteNumber("load_balancing_weight", weight);
            }

            if (group.Key.Priority != 0)
            {
                writer.WriteNumber("priority", group.Key.Priority);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>A <c>config.core.v3.Locality</c> from <c>region/zone/subzone</c>.</summary>
    public static void WriteLocality(Utf8JsonWriter writer, string locality)
    {
        var (region, zone, subzone) = LocalityParts.Parse(locality);
        writer.WriteStartObject("locality");
        writer.WriteString("region", region);
        if (zone.Length > 0)
        {
            writer.WriteString("zone", zone);
        }

        if (subzone.Length > 0)
        {
            writer.WriteString("sub_zone", subzone);
        }

        writer.WriteEndObject();
    }

    private static void WriteEndpoint(Utf8JsonWriter writer, EndpointConfig endpoint, DumpSource source)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("endpoint");
        EnvoyJson.WriteSocketAddress(writer, "address", endpoint.Address, endpoint.Port);
        writer.WriteEndObject();
        writer.WriteString("health_status", endpoint.Health switch
        {
            EndpointHealth.Unhealthy => "UNHEALTHY",
            EndpointHealth.Draining => "DRAINING",
            _ => "HEALTHY",
        });
        writer.WriteStartObject("metadata");
        writer.WriteStartObject("filter_metadata");
        if (endpoint.IsIstioMtlsCapable)
        {
            writer.WriteStartObject("envoy.transport_socket_match");
            writer.WriteString("tlsMode", "istio");
            writer.WriteEndObject();
        }

        writer.WriteStartObject("istio");
        writer.WriteString("workload", WorkloadMetadata(endpoint, source.Workload.ClusterId));
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteNumber("load_balancing_weight", endpoint.Weight);
        writer.WriteEndObject();
    }

    /// <summary>istiod's endpoint <c>istio.workload</c>: <c>name;namespace;canonical service;canonical revision;cluster</c>.</summary>
    private static string WorkloadMetadata(EndpointConfig endpoint, string clusterId)
    {
        var peer = new PeerMetadata { Labels = endpoint.Labels, WorkloadName = endpoint.WorkloadName ?? "" };
        return $"{endpoint.WorkloadName};{endpoint.WorkloadNamespace};{peer.CanonicalService};{peer.CanonicalRevision};{clusterId}";
    }
}
