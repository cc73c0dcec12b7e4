using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Clusters;

/// <summary>
/// Istio's locality load balancing as istiod writes it into the proxy's endpoints (pilot loadbalancer.go):
/// failover priorities by locality (LbPriority), failover regions, failoverPriority labels, distribute weights,
/// and when it does not apply (no outlier detection, enabled: false).
/// </summary>
public sealed class LocalityLoadBalancingTests
{
    private const string Cluster = "outbound|9080||reviews.default.svc.cluster.local";
    private static readonly WorkloadInfo WestZone1 = Productpage with { Locality = "us-west/zone1/rack1" };

    private const string Reviews = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 9080, name: http, protocol: HTTP}]
          endpoints:
          - {address: 10.0.0.1, locality: us-west/zone1/rack1, labels: {version: v1}}
          - {address: 10.0.0.2, locality: us-west/zone1/rack2, labels: {version: v2}}
          - {address: 10.0.0.3, locality: us-west/zone2/rack1, labels: {version: v1}}
          - {address: 10.0.0.4, locality: us-east/zone1/rack1, labels: {version: v1}}
          - {address: 10.0.0.5, locality: eu-west/zone1/rack1, labels: {version: v2}}
        ---
        """;

    [Fact]
    public void With_outlier_detection_endpoints_are_prioritized_by_how_much_of_the_proxys_locality_they_share()
    {
        var cluster = Config(Reviews + Rule("outlierDetection: {consecutive5xxErrors: 1}"), WestZone1).Cluster(Cluster);

        // LbPriority: subzone 0, zone 1, region 2, other regions 3.
        Assert.Equal([0, 1, 2, 3, 3], cluster.Endpoints.Select(e => e.Priority));
    }

    [Fact]
    public void A_failover_region_comes_before_the_other_regions()
    {
        var cluster = Config(Reviews + Rule("""
            outlierDetection: {consecutive5xxErrors: 1}
                loadBalancer:
                  localityLbSetting:
                    failover: [{from: us-west, to: eu-west}]
            """), WestZone1).Cluster(Cluster);

        Assert.Equal([0, 1, 2, 4, 3], cluster.Endpoints.Select(e => e.Priority));
    }

    [Fact]
    public void FailoverPriority_labels_order_endpoints_by_the_first_label_that_differs_from_the_proxys()
    {
        var proxy = WestZone1 with { Labels = Labels.From(("app", "productpage"), ("version", "v1")) };
        var cluster = Config(Reviews + Rule("""
            outlierDetection: {consecutive5xxErrors: 1}
                loadBalancer:
                  localityLbSetting:
                    failoverPriority: [version, topology.kubernetes.io/region]
            """), proxy).Cluster(Cluster);

        // Same version and region 0; same version, other region 1; other version 2.
        Assert.Equal([0, 2, 0, 1, 2], cluster.Endpoints.Select(e => e.Priority));
    }

    [Fact]
    public void Distribute_weights_the_named_localities_and_leaves_out_the_others()
    {
        var cluster = Config(Reviews + Rule("""
            loadBalancer:
                  localityLbSetting:
                    distribute:
                    - from: us-west/zone1/*
                      to: {"us-west/zone1/*": 70, "us-east/*": 30}
            """), WestZone1).Cluster(Cluster);

        // us-west/zone1/* covers two localities of weight 1 each: 70 split in two, rounded up.
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.4"], cluster.Endpoints.Select(e => e.Address));
        Assert.Equal([35, 35, 30], cluster.Endpoints.Select(e => e.LocalityWeight!.Value));
        Assert.All(cluster.Endpoints, e => Assert.Equal(0, e.Priority));
    }

    [Fact]
    public void Without_outlier_detection_or_with_enabled_false_no_priorities_are_set()
    {
        Assert.All(Config(Reviews + Rule("connectionPool: {tcp: {maxConnections: 10}}"), WestZone1).Cluster(Cluster).Endpoints, e => Assert.Equal(0, e.Priority));
        Assert.All(
            Config(Reviews + Rule("""
                outlierDetection: {consecutive5xxErrors: 1}
                    loadBalancer: {localityLbSetting: {enabled: false}}
                """), WestZone1).Cluster(Cluster).Endpoints,
            e => Assert.Equal(0, e.Priority));
    }

    [Fact]
    public void The_mesh_config_can_turn_locality_load_balancing_off()
    {
        var cluster = Config(Reviews + "\n" + """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                localityLbSetting: {enabled: false}
            ---
            """ + Rule("outlierDetection: {consecutive5xxErrors: 1}"), WestZone1).Cluster(Cluster);

        Assert.All(cluster.Endpoints, e => Assert.Equal(0, e.Priority));
    }

    [Theory]
    [InlineData("{distribute: [{from: 'us-west/*', to: {'us-west/*': 100}}], failover: [{from: us-west, to: us-east}]}", "spec.trafficPolicy.loadBalancer.localityLbSetting", "simultaneously")]
    [InlineData("{distribute: [{from: 'us-west/*', to: {'us-west/*': 60, 'us-east/*': 30}}]}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to", "!= 100")]
    [InlineData("{distribute: [{from: 'us-west/*/rack1', to: {'us-west/*': 100}}]}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute", "wildcard")]
    [InlineData("{failover: [{from: us-west, to: us-west}]}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]", "different regions")]
    [InlineData("{failover: [{from: us-west/zone1, to: us-east}]}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]", "only specify region")]
    public void Invalid_locality_settings_are_refused_with_the_field_named(string setting, string field, string message)
    {
        var errors = Errors(Reviews + Rule($"loadBalancer: {{localityLbSetting: {setting}}}"), WestZone1);

        Assert.Contains(errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal));
    }

    private static string Rule(string trafficPolicy) => "\n" + $"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {"{"}name: reviews, namespace: default{"}"}
        spec:
          host: reviews.default.svc.cluster.local
          trafficPolicy:
            {trafficPolicy}
        """;
}
