using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Scope;

public sealed class DestinationRuleIndexTests
{
    private const string RatingsEntry = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings, namespace: prod}
        spec:
          hosts: [ratings.prod.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 9080, name: http, protocol: HTTP}]
          endpoints: [{address: 10.2.0.1}]
        """;

    private static string Rule(string ns, string host, string simple, string extra = "") => $$$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings-{{{simple.ToLowerInvariant().Replace('_', '-')}}}, namespace: {{{ns}}}}
        spec:
          host: "{{{host}}}"
          trafficPolicy: {loadBalancer: {simple: {{{simple}}}}}
        {{{extra}}}
        """;

    private static LoadBalancerPolicy Policy(params string[] rules) =>
        Config(Bookinfo.All([RatingsEntry, .. rules])).Cluster("outbound|9080||ratings.prod.svc.cluster.local").LbPolicy;

    [Fact]
    public void The_proxy_namespace_wins_over_the_service_namespace_and_the_root_namespace()
    {
        Assert.Equal(LoadBalancerPolicy.Random, Policy(
            Rule("istio-system", "ratings.prod.svc.cluster.local", "ROUND_ROBIN"),
            Rule("prod", "ratings.prod.svc.cluster.local", "LEAST_REQUEST"),
            Rule("default", "ratings.prod.svc.cluster.local", "RANDOM")));
        Assert.Equal(LoadBalancerPolicy.Random, Policy(
            Rule("istio-system", "ratings.prod.svc.cluster.local", "ROUND_ROBIN"),
            Rule("prod", "ratings", "RANDOM")));
        Assert.Equal(LoadBalancerPolicy.RoundRobin, Policy(Rule("istio-system", "*.prod.svc.cluster.local", "ROUND_ROBIN")));
    }

    [Fact]
    public void Rules_not_exported_to_the_proxy_namespace_do_not_apply() =>
        Assert.Equal(LoadBalancerPolicy.LeastRequest, Policy(Rule("prod", "ratings", "RANDOM", "  exportTo: [\".\"]")));

    [Fact]
    public void The_most_specific_host_wins_within_a_namespace() =>
        Assert.Equal(LoadBalancerPolicy.RoundRobin, Policy(
            Rule("prod", "*.svc.cluster.local", "RANDOM"),
            Rule("prod", "*.prod.svc.cluster.local", "ROUND_ROBIN")));

    [Fact]
    public void A_workload_selector_applies_only_to_the_workloads_it_selects()
    {
        var selecting = Rule("default", "ratings.prod.svc.cluster.local", "RANDOM", "  workloadSelector: {matchLabels: {app: productpage}}");
        var other = Rule("default", "ratings.prod.svc.cluster.local", "ROUND_ROBIN", "  workloadSelector: {matchLabels: {app: reviews}}");
        Assert.Equal(LoadBalancerPolicy.Random, Policy(selecting));
        Assert.Equal(LoadBalancerPolicy.LeastRequest, Policy(other));
    }

    [Fact]
    public void Rules_for_one_host_in_one_namespace_are_merged()
    {
        var config = Config(Bookinfo.All(RatingsEntry, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings-policy, namespace: prod}
            spec:
              host: ratings
              trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
              subsets: [{name: v1, labels: {version: v1}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings-subsets, namespace: prod}
            spec:
              host: ratings
              trafficPolicy: {loadBalancer: {simple: RANDOM}}
              subsets: [{name: v1, labels: {version: other}}, {name: v2, labels: {version: v2}}]
            """));
        Assert.Equal(LoadBalancerPolicy.RoundRobin, config.Cluster("outbound|9080||ratings.prod.svc.cluster.local").LbPolicy);
        Assert.NotNull(config.FindCluster("outbound|9080|v1|ratings.prod.svc.cluster.local"));
        Assert.NotNull(config.FindCluster("outbound|9080|v2|ratings.prod.svc.cluster.local"));
    }
}
