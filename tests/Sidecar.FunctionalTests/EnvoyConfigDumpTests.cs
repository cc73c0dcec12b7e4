using System.Net;
using System.Text.Json;
using Sidecar.FunctionalTests.Infrastructure;

namespace Sidecar.FunctionalTests;

/// <summary>
/// <c>/config_dump</c> in Envoy's <c>admin.v3.ConfigDump</c> shape, the one <c>istioctl proxy-config</c> and Kiali
/// read: typed sections, istiod's cluster and route shapes, and Envoy's <c>include_eds</c>, <c>resource</c> and
/// <c>name_regex</c> parameters, on a sidecar serving the bookinfo config.
/// </summary>
public sealed class EnvoyConfigDumpTests : IClassFixture<BookinfoMesh>
{
    private const string Reviews = "reviews.default.svc.cluster.local";
    private readonly BookinfoMesh _mesh;

    public EnvoyConfigDumpTests(BookinfoMesh mesh) => _mesh = mesh;

    [Fact]
    public async Task Configs_are_Envoys_typed_sections_in_Envoys_order()
    {
        using var dump = await DumpAsync("");
        Assert.Equal(
            ["BootstrapConfigDump", "ClustersConfigDump", "ListenersConfigDump", "RoutesConfigDump", "SecretsConfigDump"],
            dump.RootElement.GetProperty("configs").EnumerateArray().Select(c => c.GetProperty("@type").GetString()!.Replace("type.googleapis.com/envoy.admin.v3.", "", StringComparison.Ordinal)));

        var node = Section(dump, "BootstrapConfigDump").GetProperty("bootstrap").GetProperty("node");
        Assert.StartsWith("sidecar~", node.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("default", node.GetProperty("metadata").GetProperty("NAMESPACE").GetString());
    }

    [Fact]
    public async Task A_subset_cluster_is_EDS_with_istiods_metadata_naming_its_DestinationRule()
    {
        using var dump = await DumpAsync("");
        var cluster = Section(dump, "ClustersConfigDump").GetProperty("dynamic_active_clusters").EnumerateArray()
            .Select(c => c.GetProperty("cluster"))
            .Single(c => c.GetProperty("name").GetString() == $"outbound|9080|v2|{Reviews}");

        Assert.Equal("type.googleapis.com/envoy.config.cluster.v3.Cluster", cluster.GetProperty("@type").GetString());
        Assert.Equal("EDS", cluster.GetProperty("type").GetString());
        Assert.Equal($"outbound|9080|v2|{Reviews}", cluster.GetProperty("eds_cluster_config").GetProperty("service_name").GetString());
        // Istio's default balancing (DestinationRule loadBalancer unset) and unlimited circuit breakers (2^32-1).
        Assert.Equal("LEAST_REQUEST", cluster.GetProperty("lb_policy").GetString());
        Assert.Equal(4294967295, cluster.GetProperty("circuit_breakers").GetProperty("thresholds")[0].GetProperty("max_requests").GetInt64());
        var istio = cluster.GetProperty("metadata").GetProperty("filter_metadata").GetProperty("istio");
        Assert.Equal("/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews", istio.GetProperty("config").GetString());
        Assert.Equal("v2", istio.GetProperty("subset").GetString());
        Assert.Equal(9080, istio.GetProperty("default_original_port").GetInt32());
        Assert.Equal(Reviews, istio.GetProperty("services")[0].GetProperty("host").GetString());
    }

    [Fact]
    public async Task Routes_carry_the_VirtualService_its_matches_and_policies_in_Envoys_fields()
    {
        using var dump = await DumpAsync("");
        var table = Section(dump, "RoutesConfigDump").GetProperty("dynamic_route_configs").EnumerateArray()
            .Select(r => r.GetProperty("route_config"))
            .Single(r => r.GetProperty("name").GetString() == "9080");
        var hosts = table.GetProperty("virtual_hosts").EnumerateArray().ToList();
        var reviews = hosts.Single(h => h.GetProperty("name").GetString() == $"{Reviews}:9080");
        Assert.Contains("reviews:9080", reviews.GetProperty("domains").EnumerateArray().Select(d => d.GetString()));
        Assert.True(reviews.GetProperty("include_request_attempt_count").GetBoolean());

        var routes = reviews.GetProperty("routes").EnumerateArray().ToList();
        var jason = routes.First(r => r.GetProperty("name").GetString() == "jason");
        Assert.Equal("jason", jason.GetProperty("match").GetProperty("headers")[0].GetProperty("string_match").GetProperty("exact").GetString());
        Assert.Equal($"outbound|9080|v2|{Reviews}", jason.GetProperty("route").GetProperty("cluster").GetString());
        Assert.Equal("/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews",
            jason.GetProperty("metadata").GetProperty("filter_metadata").GetProperty("istio").GetProperty("config").GetString());
        Assert.Equal($"{Reviews}:9080/*", jason.GetProperty("decorator").GetProperty("operation").GetString());
        // Istio's default retry policy where the VirtualService sets none.
        var retry = jason.GetProperty("route").GetProperty("retry_policy");
        Assert.Equal(2, retry.GetProperty("num_retries").GetInt32());
        Assert.Contains("connect-failure", retry.GetProperty("retry_on").GetString()!.Split(','));
        Assert.Equal([503], retry.GetProperty("retriable_status_codes").EnumerateArray().Select(c => c.GetInt32()));

        var split = routes.First(r => r.GetProperty("name").GetString() == "split").GetProperty("route").GetProperty("weighted_clusters").GetProperty("clusters");
        Assert.Equal([80, 20], split.EnumerateArray().Select(c => c.GetProperty("weight").GetInt32()));
        var moved = routes.First(r => r.GetProperty("name").GetString() == "moved").GetProperty("redirect");
        Assert.Equal("/new", moved.GetProperty("path_redirect").GetString());
        Assert.Equal(418, routes.First(r => r.GetProperty("name").GetString() == "teapot").GetProperty("direct_response").GetProperty("status").GetInt32());
        var legacy = routes.First(r => r.GetProperty("name").GetString() == "legacy").GetProperty("route");
        Assert.Equal("/v1/", legacy.GetProperty("prefix_rewrite").GetString());
        Assert.Equal("reviews.internal", legacy.GetProperty("host_rewrite_literal").GetString());

        // Fault injection as the fault filter's per-route config, percentages out of a million as istiod writes them.
        var ratings = hosts.Single(h => h.GetProperty("name").GetString() == "ratings.default.svc.cluster.local:9080").GetProperty("routes").EnumerateArray().ToList();
        var abort = ratings.Single(r => r.GetProperty("match").TryGetProperty("prefix", out var p) && p.GetString() == "/partial-abort")
            .GetProperty("typed_per_filter_config").GetProperty("envoy.filters.http.fault");
        Assert.Equal("type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault", abort.GetProperty("@type").GetString());
        Assert.Equal(500, abort.GetProperty("abort").GetProperty("http_status").GetInt32());
        Assert.Equal(300_000, abort.GetProperty("abort").GetProperty("percentage").GetProperty("numerator").GetInt32());
        Assert.Equal("MILLION", abort.GetProperty("abort").GetProperty("percentage").GetProperty("denominator").GetString());
        var delay = ratings.Single(r => r.GetProperty("match").TryGetProperty("prefix", out var p) && p.GetString() == "/delay")
            .GetProperty("typed_per_filter_config").GetProperty("envoy.filters.http.fault").GetProperty("delay");
        Assert.Equal("0.500s", delay.GetProperty("fixed_delay").GetString());
        var timeout = ratings.Single(r => r.GetProperty("match").TryGetProperty("prefix", out var p) && p.GetString() == "/timeout");
        Assert.Equal("0.400s", timeout.GetProperty("route").GetProperty("timeout").GetString());
    }

    [Fact]
    public async Task The_port_listener_hands_HTTP_to_its_route_table_by_RDS()
    {
        using var dump = await DumpAsync("");
        var listeners = Section(dump, "ListenersConfigDump").GetProperty("dynamic_listeners").EnumerateArray().ToList();
        var port = listeners.Single(l => l.GetProperty("name").GetString() == "0.0.0.0_9080").GetProperty("active_state").GetProperty("listener");
        Assert.False(port.GetProperty("bind_to_port").GetBoolean());
        Assert.Equal(9080, port.GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32());
        var manager = port.GetProperty("filter_chains").EnumerateArray()
            .SelectMany(c => c.GetProperty("filters").EnumerateArray())
            .Single(f => f.GetProperty("name").GetString() == "envoy.filters.network.http_connection_manager")
            .GetProperty("typed_config");
        Assert.Equal("9080", manager.GetProperty("rds").GetProperty("route_config_name").GetString());
        Assert.Equal("envoy.filters.http.router", manager.GetProperty("http_filters").EnumerateArray().Last().GetProperty("name").GetString());

        var outbound = listeners.Single(l => l.GetProperty("name").GetString() == "virtualOutbound").GetProperty("active_state").GetProperty("listener");
        Assert.True(outbound.GetProperty("use_original_dst").GetBoolean());
        Assert.Equal(15001, outbound.GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32());
        Assert.Equal("PassthroughCluster", outbound.GetProperty("default_filter_chain").GetProperty("filters")[0].GetProperty("typed_config").GetProperty("cluster").GetString());
    }

    [Fact]
    public async Task The_bootstraps_Prometheus_and_readiness_listeners_and_their_clusters_are_static()
    {
        // Istio's bootstrap: 15090 routes /stats/prometheus to prometheus_stats (admin), 15021 routes /healthz/ready to
        // agent (the status port); istioctl proxy-config lists them as "Inline Route: /stats/prometheus*".
        using var dump = await DumpAsync("");
        var listeners = Section(dump, "ListenersConfigDump").GetProperty("static_listeners").EnumerateArray()
            .Select(l => l.GetProperty("listener")).ToList();
        Assert.Equal([15090, 15021], listeners.Select(l => l.GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32()));
        var routes = listeners.Select(l => l.GetProperty("filter_chains")[0].GetProperty("filters")[0].GetProperty("typed_config")
            .GetProperty("route_config").GetProperty("virtual_hosts")[0].GetProperty("routes")[0]).ToList();
        Assert.Equal(["/stats/prometheus", "/healthz/ready"], routes.Select(r => r.GetProperty("match").GetProperty("prefix").GetString()));
        Assert.Equal(["prometheus_stats", "agent"], routes.Select(r => r.GetProperty("route").GetProperty("cluster").GetString()));

        var clusters = Section(dump, "ClustersConfigDump").GetProperty("static_clusters").EnumerateArray().Select(c => c.GetProperty("cluster")).ToList();
        Assert.Equal(["prometheus_stats", "agent"], clusters.Select(c => c.GetProperty("name").GetString()));
        Assert.All(clusters, c => Assert.Equal("STATIC", c.GetProperty("type").GetString()));
        Assert.Equal([15000, 15020], clusters.Select(c => c.GetProperty("load_assignment").GetProperty("endpoints")[0].GetProperty("lb_endpoints")[0]
            .GetProperty("endpoint").GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32()));
        var bootstrap = Section(dump, "BootstrapConfigDump").GetProperty("bootstrap").GetProperty("static_resources");
        Assert.Equal(2, bootstrap.GetProperty("listeners").GetArrayLength());
        Assert.Equal(2, bootstrap.GetProperty("clusters").GetArrayLength());
    }

    [Fact]
    public async Task Include_eds_adds_each_clusters_endpoints_with_their_workload_metadata()
    {
        using var dump = await DumpAsync("?include_eds");
        var endpoints = Section(dump, "EndpointsConfigDump").GetProperty("dynamic_endpoint_configs").EnumerateArray()
            .Select(e => e.GetProperty("endpoint_config"))
            .Single(e => e.GetProperty("cluster_name").GetString() == $"outbound|9080|v2|{Reviews}");
        var endpoint = Assert.Single(endpoints.GetProperty("endpoints")[0].GetProperty("lb_endpoints").EnumerateArray());
        var address = endpoint.GetProperty("endpoint").GetProperty("address").GetProperty("socket_address");
        Assert.Equal(_mesh.ReviewsV2.Port, address.GetProperty("port_value").GetInt32());
        Assert.Equal("HEALTHY", endpoint.GetProperty("health_status").GetString());
        Assert.Contains(";reviews;v2;", endpoint.GetProperty("metadata").GetProperty("filter_metadata").GetProperty("istio").GetProperty("workload").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_and_name_regex_print_the_matching_entries_one_by_one()
    {
        using var dump = await DumpAsync("?resource=dynamic_active_clusters&name_regex=" + Uri.EscapeDataString(@"\|v[13]\|reviews"));
        var entries = dump.RootElement.GetProperty("configs").EnumerateArray().ToList();
        Assert.Equal(
            [$"outbound|9080|v1|{Reviews}", $"outbound|9080|v3|{Reviews}"],
            entries.Select(e => e.GetProperty("cluster").GetProperty("name").GetString()).Order());
        Assert.All(entries, e => Assert.Equal("type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster", e.GetProperty("@type").GetString()));

        using var unknown = await _mesh.Sidecar.Client.GetAsync($"{_mesh.Sidecar.AdminUrl}/config_dump?resource=dynamic_things");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var badRegex = await _mesh.Sidecar.Client.GetAsync($"{_mesh.Sidecar.AdminUrl}/config_dump?name_regex=(");
        Assert.Equal(HttpStatusCode.BadRequest, badRegex.StatusCode);
    }

    private async Task<JsonDocument> DumpAsync(string query) =>
        JsonDocument.Parse(await _mesh.Sidecar.Client.GetStringAsync($"{_mesh.Sidecar.AdminUrl}/config_dump{query}"));

    private static JsonElement Section(JsonDocument dump, string type) =>
        dump.RootElement.GetProperty("configs").EnumerateArray().Single(c => c.GetProperty("@type").GetString() == $"type.googleapis.com/envoy.admin.v3.{type}");
}
