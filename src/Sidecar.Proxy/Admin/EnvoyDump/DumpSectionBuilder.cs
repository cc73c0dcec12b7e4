using Sidecar.Identity;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// The sections of Envoy's <c>/config_dump</c> for a snapshot, in Envoy's order: bootstrap, clusters, endpoints
/// (with <c>include_eds</c>), listeners, routes, secrets. Every resource is dynamic, as istiod's would be, except the
/// bootstrap's Prometheus and readiness listeners and their clusters, and the inbound route tables, which istiod
/// inlines in their listeners (Envoy lists those as static).
/// </summary>
internal static class DumpSectionBuilder
{
    private const string Admin = "envoy.admin.v3.";

    public static IReadOnlyList<DumpSection> Build(DumpSource source, StaticPorts ports, WorkloadCertificate? certificate, int certificateGeneration, bool includeEndpoints)
    {
        var version = source.Version;
        var updated = source.LastUpdated;
        var config = source.Config;
        var sections = new List<DumpSection>
        {
            new(Admin + "ClustersConfigDump", version,
            [
                new DumpList("static_clusters", Admin + "ClustersConfigDump.StaticCluster", StaticResourcesWriter.Clusters(ports, updated)),
                new DumpList("dynamic_active_clusters", Admin + "ClustersConfigDump.DynamicCluster", [.. config.Clusters.Select(cluster => new DumpItem(cluster.Name, writer =>
                {
                    writer.WriteString("version_info", version);
                    ClusterWriter.Write(writer, "cluster", cluster, source);
                    writer.WriteString("last_updated", updated);
                }))]),
            ]),
        };

        if (includeEndpoints)
        {
            sections.Add(new(Admin + "EndpointsConfigDump", null,
            [
                new DumpList("dynamic_endpoint_configs", Admin + "EndpointsConfigDump.DynamicEndpointConfig", [.. config.Clusters.Where(c => c.Type != ClusterDiscoveryType.OriginalDst).Select(cluster => new DumpItem(cluster.Name, writer =>
                {
                    writer.WriteString("version_info", version);
                    ClusterLoadAssignmentWriter.Write(writer, "endpoint_config", cluster, source);
                    writer.WriteString("last_updated", updated);
                }))]),
            ]));
        }

        sections.Add(new(Admin + "ListenersConfigDump", version,
        [
            new DumpList("static_listeners", Admin + "ListenersConfigDump.StaticListener", StaticResourcesWriter.Listeners(ports, updated)),
            new DumpList("dynamic_listeners", Admin + "ListenersConfigDump.DynamicListener", [.. config.Listeners.Select(listener => new DumpItem(listener.Name, writer =>
            {
                writer.WriteString("name", listener.Name);
                writer.WriteStartObject("active_state");
                writer.WriteString("version_info", version);
                ListenerWriter.Write(writer, "listener", listener, source);
                writer.WriteString("last_updated", updated);
                writer.WriteEndObject();
            }))]),
        ]));

        sections.Add(new(Admin + "RoutesConfigDump", null,
        [
            new DumpList("static_route_configs", Admin + "RoutesConfigDump.StaticRouteConfig", [.. config.RouteTables.Where(t => ListenerWriter.IsInlineRouteTable(t.Name)).Select(table => new DumpItem(table.Name, writer =>
            {
                RouteConfigurationWriter.Write(writer, "route_config", table, source);
                writer.WriteString("last_updated", updated);
            }))]),
            new DumpList("dynamic_route_configs", Admin + "RoutesConfigDump.DynamicRouteConfig", [.. config.RouteTables.Where(t => !ListenerWriter.IsInlineRouteTable(t.Name)).Select(table => new DumpItem(table.Name, writer =>
            {
                writer.WriteString("version_info", version);
                RouteConfigurationWriter.Write(writer, "route_config", table, source);
                writer.WriteString("last_updated", updated);
            }))]),
        ]));

        sections.Add(new(Admin + "SecretsConfigDump", null,
        [
            new DumpList("dynamic_active_secrets", Admin + "SecretsConfigDump.DynamicSecret", SecretsWriter.Items(certificate, certificateGeneration)),
        ]));
        return sections;
    }
}
