using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// Envoy's <c>BootstrapConfigDump</c> as pilot-agent's bootstrap would read: the node (Istio's id, cluster, locality
/// and the metadata keys istiod and istioctl read), the static Prometheus and readiness listeners with their clusters,
/// and the admin address. No dynamic resources are named: this sidecar's config comes from its own source, not from an
/// ADS stream.
/// </summary>
internal static class BootstrapWriter
{
    public static void Write(Utf8JsonWriter writer, string version, DumpSource source, StaticPorts ports)
    {
        EnvoyJson.StartTyped(writer, null, "envoy.admin.v3.BootstrapConfigDump");
        writer.WriteStartObject("bootstrap");
        WriteNode(writer, source.Workload, version);
        StaticResourcesWriter.WriteBootstrapResources(writer, ports);
        writer.WriteStartObject("admin");
        EnvoyJson.WriteSocketAddress(writer, "address", ports.LocalAddress, ports.AdminPort);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteString("last_updated", source.LastUpdated);
        writer.WriteEndObject();
    }

    /// <summary>The <c>node</c> (<c>config.core.v3.Node</c>) pilot-agent presents, as the bootstrap and <c>/server_info</c> show it.</summary>
    public static void WriteNode(Utf8JsonWriter writer, WorkloadInfo workload, string version)
    {
        writer.WriteStartObject("node");
        writer.WriteString("id", workload.NodeId);
        writer.WriteString("cluster", workload.NodeCluster);
        writer.WriteStartObject("metadata");
        writer.WriteString("NAME", workload.PodName);
        writer.WriteString("NAMESPACE", workload.Namespace);
        writer.WriteString("CLUSTER_ID", workload.ClusterId);
        writer.WriteString("SERVICE_ACCOUNT", workload.ServiceAccount);
        writer.WriteString("WORKLOAD_NAME", workload.WorkloadName);
        writer.WriteString("OWNER", PeerMetadata.From(workload).Owner);
        writer.WriteString("INSTANCE_IPS", string.Join(',', workload.InstanceIps));
        writer.WriteStartObject("LABELS");
        foreach (var (key, value) in workload.Labels)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
        writer.WriteString("ENVOY_STATUS_PORT", "15021");
        writer.WriteString("ENVOY_PROMETHEUS_PORT", "15090");
        writer.WriteEndObject();
        if (workload.Locality.Length > 0)
        {
            ClusterLoadAssignmentWriter.WriteLocality(writer, workload.Locality);
        }

        writer.WriteString("user_agent_name", "sidecar");
        writer.WriteString("user_agent_version", version);
        writer.WriteEndObject();
    }
}
