using System.Text.Json;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// The ports the bootstrap's static resources describe: where the sidecar listens, and the local address (the admin
/// listener's, 127.0.0.1 in a pod) at which the admin and status ports answer.
/// </summary>
internal sealed record StaticPorts(string ListenAddress, int StatsPort, int HealthPort, string LocalAddress, int AdminPort, int StatusPort);

/// <summary>
/// The static resources of Istio's bootstrap, as Envoy dumps them: the Prometheus listener (15090, <c>/stats/prometheus</c>
/// to the <c>prometheus_stats</c> cluster, the admin port) and the readiness listener (15021, <c>/healthz/ready</c> to
/// the <c>agent</c> cluster, the status port). Here one process serves all four ports, and these routes are what each
/// listener answers, so <c>istioctl proxy-config listeners</c> and <c>clusters</c> list them as they do for Envoy.
/// pilot-agent's <c>sds-grpc</c> and <c>xds-grpc</c> clusters are not listed: there is no agent socket between them.
/// </summary>
internal static class StaticResourcesWriter
{
    private const string StatsCluster = "prometheus_stats";
    private const string AgentCluster = "agent";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>The entries of <c>static_listeners</c>, each a <c>ListenersConfigDump.StaticListener</c>.</summary>
    public static IReadOnlyList<DumpItem> Listeners(StaticPorts ports, string lastUpdated) =>
    [
        new DumpItem("", writer => WrapListener(writer, ports.ListenAddress, ports.StatsPort, "stats", "/stats/prometheus", StatsCluster, lastUpdated)),
        new DumpItem("", writer => WrapListener(writer, ports.ListenAddress, ports.HealthPort, AgentCluster, "/healthz/ready", AgentCluster, lastUpdated)),
    ];

    /// <summary>The entries of <c>static_clusters</c>, each a <c>ClustersConfigDump.StaticCluster</c>.</summary>
    public static IReadOnlyList<DumpItem> Clusters(StaticPorts ports, string lastUpdated) =>
    [
        new DumpItem(StatsCluster, writer => WrapCluster(writer, StatsCluster, ports.LocalAddress, ports.AdminPort, lastUpdated)),
        new DumpItem(AgentCluster, writer => WrapCluster(writer, AgentCluster, ports.LocalAddress, ports.StatusPort, lastUpdated)),
    ];

    /// <summary>The bootstrap's <c>static_resources</c>.</summary>
    public static void WriteBootstrapResources(Utf8JsonWriter writer, StaticPorts ports)
    {
        writer.WriteStartObject("static_resources");
        writer.WriteStartArray("listeners");
        WriteListener(writer, null, ports.ListenAddress, ports.StatsPort, "stats", "/stats/prometheus", StatsCluster);
        WriteListener(writer, null, ports.ListenAddress, ports.HealthPort, AgentCluster, "/healthz/ready", AgentCluster);
        writer.WriteEndArray();
        writer.WriteStartArray("clusters");
        WriteCluster(writer, null, StatsCluster, ports.LocalAddress, ports.AdminPort);
        WriteCluster(writer, null, AgentCluster, ports.LocalAddress, ports.StatusPort);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WrapListener(Utf8JsonWriter writer, string address, int port, string statPrefix, string prefix, string cluster, string lastUpdated)
    {
        WriteListener(writer, "listener", address, port, statPrefix, prefix, cluster);
        writer.WriteString("last_updated", lastUpdated);
    }

    private static void WrapCluster(Utf8JsonWriter writer, string name, string address, int port, string lastUpdated)
    {
        WriteCluster(writer, "cluster", name, address, port);
        writer.WriteString("last_updated", lastUpdated);
    }

    // An unnamed listener whose one chain is a connection manager with one inline route, as the bootstrap writes it.
    private static void WriteListener(Utf8JsonWriter writer, string? property, string address, int port, string statPrefix, string prefix, string cluster)
    {
        EnvoyJson.StartTyped(writer, property, "envoy.config.listener.v3.Listener");
        EnvoyJson.WriteSocketAddress(writer, "address", address, port);
        writer.WriteStartArray("filter_chains");
        writer.WriteStartObject();
        writer.WriteStartArray("filters");
        writer.WriteStartObject();
        writer.WriteString("name", "envoy.filters.network.http_connection_manager");
        EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
        writer.WriteString("stat_prefix", statPrefix);
        writer.WriteStartObject("route_config");
        writer.WriteStartArray("virtual_hosts");
        writer.WriteStartObject();
        writer.WriteString("name", "backend");
        writer.WriteStartArray("domains");
        writer.WriteStringValue("*");
        writer.WriteEndArray();
        writer.WriteStartArray("routes");
        writer.WriteStartObject();
        writer.WriteStartObject("match");
        writer.WriteString("prefix", prefix);
        writer.WriteEndObject();
        writer.WriteStartObject("route");
        writer.WriteString("cluster", cluster);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartArray("http_filters");
        EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.http.router", "envoy.extensions.filters.http.router.v3.Router");
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    // A STATIC cluster with one local endpoint.
    private static void WriteCluster(Utf8JsonWriter writer, string? property, string name, string address, int port)
    {
        EnvoyJson.StartTyped(writer, property, "envoy.config.cluster.v3.Cluster");
        writer.WriteString("name", name);
        writer.WriteString("type", "STATIC");
        EnvoyJson.WriteDuration(writer, "connect_timeout", ConnectTimeout);
        writer.WriteStartObject("load_assignment");
        writer.WriteString("cluster_name", name);
        writer.WriteStartArray("endpoints");
        writer.WriteStartObject();
        writer.WriteStartArray("lb_endpoints");
        writer.WriteStartObject();
        writer.WriteStartObject("endpoint");
        EnvoyJson.WriteSocketAddress(writer, "address", address, port);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
