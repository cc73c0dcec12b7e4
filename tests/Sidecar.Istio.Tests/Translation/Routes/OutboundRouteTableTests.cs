using Sidecar.Model;
using static Sidecar.Istio.Tests.Translation.Routes.RouteFixture;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Routes;

public sealed class OutboundRouteTableTests
{
    [Fact]
    public void A_table_per_http_port_with_a_virtual_host_per_service_and_the_catch_all_last()
    {
        // Services in istiod's order (oldest first, then by name; these have no creationTimestamp).
        var table = Config(Bookinfo.Services).Table("9080");
        Assert.Equal(
            ["details.default.svc.cluster.local:9080", "productpage.default.svc.cluster.local:9080", "ratings.default.svc.cluster.local:9080", $"{ReviewsHost}:9080", "allow_any"],
            table.VirtualHosts.Select(v => v.Name));
        var allowAny = table.VirtualHost("allow_any");
        Assert.Equal(["*"], allowAny.Domains);
        var route = Assert.Single(allowAny.Routes);
        Assert.Equal(ClusterName.Passthrough, Assert.Single(route.Route!.Clusters).Cluster);
        Assert.Null(route.Route.Timeout);
    }

    [Fact]
    public void Domains_are_the_fqdn_the_short_forms_and_the_vip_each_with_the_port()
    {
        var vhost = Config(Bookinfo.Services).Table("9080").VirtualHost($"{ReviewsHost}:9080");
        Assert.Equal(
            [
                ReviewsHost, $"{ReviewsHost}:9080", $"{ReviewsHost}.", $"{ReviewsHost}.:9080", "reviews", "reviews:9080", "reviews.default.svc", "reviews.default.svc:9080",
                "reviews.default", "reviews.default:9080", "10.96.0.12", "10.96.0.12:9080",
            ],
            vhost.Domains);
    }

    [Fact]
    public void From_another_namespace_only_the_namespace_qualified_forms_are_domains()
    {
        var shop = Productpage with { Namespace = "shop" };
        var vhost = Config(Bookinfo.Services, shop).Table("9080").VirtualHost($"{ReviewsHost}:9080");
        Assert.Equal(
            [ReviewsHost, $"{ReviewsHost}:9080", $"{ReviewsHost}.", $"{ReviewsHost}.:9080", "reviews.default", "reviews.default:9080", "reviews.default.svc", "reviews.default.svc:9080", "10.96.0.12", "10.96.0.12:9080"],
            vhost.Domains);
    }

    [Fact]
    public void A_virtual_service_naming_a_service_by_short_name_and_fqdn_routes_it_once()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews, reviews.default.svc.cluster.local]
              http: [{route: [{destination: {host: reviews, port: {number: 9080}}}]}]
            """));
        var vhosts = config.Table("9080").VirtualHosts.Where(v => v.Domains.Contains("reviews:9080")).ToList();
        var route = Assert.Single(Assert.Single(vhosts).Routes);
        Assert.Equal($"outbound|9080||{ReviewsHost}", Assert.Single(route.Route!.Clusters).Cluster);
    }

    [Fact]
    public void Hosts_outside_kubernetes_have_no_short_forms()
    {
        var config = Config("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: httpbin}
            spec:
              hosts: [httpbin.org]
              resolution: DNS
              ports: [{number: 80, name: http, protocol: HTTP}]
            """);
        Assert.Equal(["httpbin.org", "httpbin.org:80", "httpbin.org.", "httpbin.org.:80"], config.Table("80").VirtualHost("httpbin.org:80").Domains);
    }

    [Fact]
    public void Without_a_virtual_service_the_default_route_has_istios_default_retries_and_no_timeout()
    {
        var route = Assert.Single(Config(Bookinfo.Services).Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes);
        Assert.Equal("default", route.Name);
        Assert.Equal(RouteMatchConfig.Any, route.Match);
        Assert.Equal($"outbound|9080||{ReviewsHost}", Assert.Single(route.Route!.Clusters).Cluster);
        Assert.Null(route.Route.Timeout);
        Assert.Equal(
            new RetryPolicyConfig
            {
                NumRetries = 2,
                RetryOn = RetryOn.ConnectFailure | RetryOn.RefusedStream | RetryOn.GrpcUnavailable | RetryOn.GrpcCancelled | RetryOn.RetriableStatusCodes,
                RetriableStatusCodes = [503],
                RetryOtherHosts = true,
                HostSelectionRetryMaxAttempts = 5,
            },
            route.Route.Retry);
    }

    [Fact]
    public void The_mesh_default_retry_policy_replaces_istios()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                defaultHttpRetryPolicy:
                  attempts: 4
                  retryOn: gateway-error,connect-failure
            """));
        var retry = Assert.Single(config.Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes).Route!.Retry!;
        Assert.Equal(4, retry.NumRetries);
        Assert.Equal(RetryOn.GatewayError | RetryOn.ConnectFailure, retry.RetryOn);
        Assert.Empty(retry.RetriableStatusCodes);
    }

    [Fact]
    public void Registry_only_ends_the_table_with_block_all()
    {
        var table = Config(Bookinfo.Services, policy: OutboundTrafficPolicy.RegistryOnly).Table("9080");
        var blockAll = table.VirtualHosts[^1];
        Assert.Equal("block_all", blockAll.Name);
        Assert.Equal(new DirectResponseConfig(502), Assert.Single(blockAll.Routes).DirectResponse);
    }

    [Fact]
    public void A_consistent_hash_rule_adds_a_hash_policy_to_the_default_route()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    httpCookie: {name: user, path: /, ttl: 1h}
            """));
        var route = Assert.Single(config.Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes);
        Assert.Equal(
            new HashPolicyConfig { Kind = HashPolicyKind.Cookie, Name = "user", CookiePath = "/", CookieTtl = TimeSpan.FromHours(1) },
            Assert.Single(route.Route!.HashPolicy));
    }

    [Fact]
    public void Virtual_service_hosts_outside_the_registry_get_routes_on_port_80()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: web}
            spec:
              hosts: [web.example.com]
              resolution: DNS
              ports: [{number: 80, name: http, protocol: HTTP}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: legacy}
            spec:
              hosts: [legacy.example.com]
              http:
              - route: [{destination: {host: web.example.com}}]
            """));
        var vhost = config.Table("80").VirtualHost("legacy.example.com:80");
        Assert.Equal(["legacy.example.com", "legacy.example.com:80"], vhost.Domains);
        Assert.Equal("outbound|80||web.example.com", Assert.Single(Assert.Single(vhost.Routes).Route!.Clusters).Cluster);
        Assert.DoesNotContain(config.Table("9080").VirtualHosts, v => v.Name.StartsWith("legacy", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wildcard_virtual_service_claims_the_services_it_matches_unless_an_exact_one_does()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, Bookinfo.ReviewsJason, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: everything}
            spec:
              hosts: ["*.default.svc.cluster.local"]
              http:
              - timeout: 3s
                route: [{destination: {host: details}}]
            """));
        var table = config.Table("9080");
        Assert.Equal(TimeSpan.FromSeconds(3), Assert.Single(table.VirtualHost("ratings.default.svc.cluster.local:9080").Routes).Route!.Timeout);
        Assert.Equal("VirtualService default/reviews", table.VirtualHost($"{ReviewsHost}:9080").Routes[0].Origin);
    }

    [Fact]
    public void Virtual_services_bound_to_gateways_only_or_not_exported_do_not_apply()
    {
        var routes = ReviewsRoutes("- route: [{destination: {host: reviews, subset: v1}}]", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-gw}
            spec:
              hosts: [ratings]
              gateways: [istio-system/ingress]
              http: [{route: [{destination: {host: ratings, subset: v2}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: details-private, namespace: shop}
            spec:
              hosts: [details.default.svc.cluster.local]
              exportTo: ["."]
              http: [{route: [{destination: {host: details.default.svc.cluster.local, subset: v2}}]}]
            """);
        Assert.Single(routes);
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-gw}
            spec:
              hosts: [ratings]
              gateways: [istio-system/ingress]
              http: [{route: [{destination: {host: ratings, subset: v2}}]}]
            """));
        Assert.Equal("default", Assert.Single(config.Table("9080").VirtualHost("ratings.default.svc.cluster.local:9080").Routes).Name);
    }

    [Fact]
    public void Routes_to_unknown_clusters_are_kept_with_a_warning()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, ReviewsVirtualService("- route: [{destination: {host: reviews, subset: v9}}]")));
        Assert.True(result.IsValid);
        Assert.Contains(result.Warnings, w => w.Contains($"cluster outbound|9080|v9|{ReviewsHost}", StringComparison.Ordinal));
    }

    [Fact]
    public void Of_two_VirtualServices_for_one_host_the_oldest_wins_then_the_first_by_name()
    {
        // istiod sorts by creationTimestamp, then name, then namespace; the file order does not matter.
        static string Vs(string name, string? created, string header)
        {
            var timestamp = created is null ? "" : $"\n  creationTimestamp: \"{created}\"";
            return $$$"""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: {{{name}}}
                  namespace: default{{{timestamp}}}
                spec:
                  hosts: [reviews]
                  http:
                  - headers:
                      request:
                        set:
                          x-vs: {{{header}}}
                    route: [{destination: {host: reviews}}]
                """;
        }

        string Winner(params string[] documents) =>
            Config(Bookinfo.All([Bookinfo.Services, .. documents])).Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes[0].RequestHeaders.Set[0].Value;

        Assert.Equal("b-older", Winner(Vs("a-newer", "2026-05-02T00:00:00Z", "a-newer"), Vs("b-older", "2026-05-01T00:00:00Z", "b-older")));
        Assert.Equal("a", Winner(Vs("b", null, "b"), Vs("a", null, "a")));
    }
}
