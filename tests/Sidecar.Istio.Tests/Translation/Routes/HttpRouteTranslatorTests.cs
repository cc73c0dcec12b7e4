using Sidecar.Model;
using static Sidecar.Istio.Tests.Translation.Routes.RouteFixture;

namespace Sidecar.Istio.Tests.Translation.Routes;

public sealed class HttpRouteTranslatorTests
{
    [Fact]
    public void Jason_goes_to_v2_everyone_else_to_v1_in_order()
    {
        var routes = TranslationFixture.Config(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, Bookinfo.ReviewsJason))
            .Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes;
        Assert.Equal(2, routes.Count);
        var jason = Assert.Single(routes[0].Match.Headers);
        Assert.Equal(new HeaderMatcherConfig { Name = "end-user", Match = new StringMatcherConfig(StringMatchKind.Exact, "jason") }, jason);
        Assert.Equal(Cluster("v2"), Assert.Single(routes[0].Route!.Clusters).Cluster);
        Assert.Equal(RouteMatchConfig.Any, routes[1].Match);
        Assert.Equal(Cluster("v1"), Assert.Single(routes[1].Route!.Clusters).Cluster);
        Assert.All(routes, r => Assert.Equal("VirtualService default/reviews", r.Origin));
    }

    [Fact]
    public void Each_match_is_a_route_and_translates_every_condition()
    {
        var routes = ReviewsRoutes("""
            - name: api
              match:
              - name: exact
                uri: {exact: /reviews/1}
                method: {exact: GET}
                authority: {prefix: reviews}
                scheme: {exact: http}
                headers:
                  x-b: {regex: "v[0-9]+"}
                  x-a: {}
                withoutHeaders:
                  x-debug: {exact: "1"}
                queryParams:
                  page: {prefix: "1"}
                  all: {}
              - uri: {prefix: /api}
                ignoreUriCase: true
              - uri: {regex: "/reviews/[0-9]+"}
              route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal(3, routes.Count);
        Assert.Equal("api.exact", routes[0].Name);
        Assert.Equal("api", routes[1].Name);
        Assert.Equal(
            new RouteMatchConfig
            {
                Path = new PathMatchConfig(PathMatchKind.Exact, "/reviews/1"),
                Headers =
                [
                    new HeaderMatcherConfig { Name = "x-a" },
                    new HeaderMatcherConfig { Name = "x-b", Match = new StringMatcherConfig(StringMatchKind.Regex, "v[0-9]+") },
                    new HeaderMatcherConfig { Name = "x-debug", Match = new StringMatcherConfig(StringMatchKind.Exact, "1"), InvertMatch = true },
                    new HeaderMatcherConfig { Name = ":method", Match = new StringMatcherConfig(StringMatchKind.Exact, "GET") },
                    new HeaderMatcherConfig { Name = ":authority", Match = new StringMatcherConfig(StringMatchKind.Prefix, "reviews") },
                    new HeaderMatcherConfig { Name = ":scheme", Match = new StringMatcherConfig(StringMatchKind.Exact, "http") },
                ],
                QueryParameters =
                [
                    new QueryParameterMatcherConfig { Name = "page", Match = new StringMatcherConfig(StringMatchKind.Prefix, "1") },
                    new QueryParameterMatcherConfig { Name = "all" },
                ],
            },
            routes[0].Match);
        Assert.Equal(new PathMatchConfig(PathMatchKind.Prefix, "/api", IgnoreCase: true), routes[1].Match.Path);
        Assert.Equal(new PathMatchConfig(PathMatchKind.Regex, "/reviews/[0-9]+"), routes[2].Match.Path);
    }

    [Fact]
    public void Rules_after_a_catch_all_are_dropped()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /}}]
              route: [{destination: {host: reviews, subset: v1}}]
            - route: [{destination: {host: reviews, subset: v2}}]
            """);
        Assert.Equal(Cluster("v1"), Assert.Single(Assert.Single(routes).Route!.Clusters).Cluster);
    }

    [Fact]
    public void Weighted_splits_keep_weights_and_drop_zero()
    {
        var fifty = ReviewsRoutes("""
            - route:
              - destination: {host: reviews, subset: v1}
                weight: 50
              - destination: {host: reviews, subset: v3}
                weight: 50
            """);
        Assert.Equal([(Cluster("v1"), 50), (Cluster("v3"), 50)], Assert.Single(fifty).Route!.Clusters.Select(c => (c.Cluster, c.Weight)));

        var ninety = ReviewsRoutes("""
            - route:
              - destination: {host: reviews, subset: v1}
                weight: 90
              - destination: {host: reviews, subset: v2}
                weight: 0
              - destination: {host: reviews, subset: v3}
                weight: 10
            """);
        Assert.Equal([(Cluster("v1"), 90), (Cluster("v3"), 10)], Assert.Single(ninety).Route!.Clusters.Select(c => (c.Cluster, c.Weight)));
    }

    [Fact]
    public void A_single_destination_ignores_its_weight_and_inherits_the_port()
    {
        var route = SingleReviewsRoute("""
            - route:
              - destination: {host: reviews, subset: v2}
                weight: 0
            """);
        Assert.Equal((Cluster("v2"), 100), (route.Route!.Clusters[0].Cluster, route.Route.Clusters[0].Weight));
    }

    [Fact]
    public void Destination_port_selects_the_cluster_port()
    {
        var route = SingleReviewsRoute("- route: [{destination: {host: ratings, port: {number: 9090}}}]");
        Assert.Equal("outbound|9090||ratings.default.svc.cluster.local", Assert.Single(route.Route!.Clusters).Cluster);
    }

    [Fact]
    public void CorsPolicy_is_translated_as_istiod_TranslateCORSPolicy_writes_it()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /api}}]
              corsPolicy:
                allowOrigins:
                - exact: https://app.example.com
                - prefix: https://dev.
                - regex: "https://.*\\.example\\.org"
                allowMethods: [GET, POST]
                allowHeaders: [content-type, x-token]
                exposeHeaders: [x-trace]
                maxAge: 24h
                allowCredentials: true
                unmatchedPreflights: IGNORE
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {prefix: /legacy}}]
              corsPolicy:
                allowOrigin: [https://legacy.example.com]
              redirect: {uri: /v2}
            - corsPolicy:
                allowOrigins: [{exact: https://new.example.com}]
                allowOrigin: [https://ignored.example.com]
              route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal(
            new CorsPolicyConfig
            {
                AllowOrigins =
                [
                    new StringMatcherConfig(StringMatchKind.Exact, "https://app.example.com"),
                    new StringMatcherConfig(StringMatchKind.Prefix, "https://dev."),
                    new StringMatcherConfig(StringMatchKind.Regex, @"https://.*\.example\.org"),
                ],
                AllowMethods = "GET,POST",
                AllowHeaders = "content-type,x-token",
                ExposeHeaders = "x-trace",
                MaxAge = "86400",
                AllowCredentials = true,
                ForwardNotMatchingPreflights = false,
            },
            routes[0].Cors);

        // The deprecated allowOrigin list is exact matches, on every kind of route (a redirect too), and counts
        // only without allowOrigins; unmatched preflights are forwarded unless IGNORE is set.
        Assert.Equal(new CorsPolicyConfig { AllowOrigins = [new StringMatcherConfig(StringMatchKind.Exact, "https://legacy.example.com")] }, routes[1].Cors);
        Assert.NotNull(routes[1].Redirect);
        Assert.Equal([new StringMatcherConfig(StringMatchKind.Exact, "https://new.example.com")], routes[2].Cors!.AllowOrigins);
        Assert.True(routes[2].Cors!.ForwardNotMatchingPreflights);
    }

    [Fact]
    public void Faults_become_parts_per_million()
    {
        var routes = ReviewsRoutes("""
            - match: [{headers: {end-user: {exact: jason}}}]
              fault:
                delay: {fixedDelay: 7s, percentage: {value: 100.0}}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{headers: {end-user: {exact: bob}}}]
              fault:
                abort: {httpStatus: 500, percentage: {value: 10}}
                delay: {fixedDelay: 100ms, percent: 5}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{headers: {end-user: {exact: grpc}}}]
              fault:
                abort: {grpcStatus: UNAVAILABLE, percentage: {value: 0.1}}
              route: [{destination: {host: reviews, subset: v1}}]
            - fault:
                abort: {httpStatus: 503}
              route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal(new FaultConfig { Delay = new DelayFaultConfig(TimeSpan.FromSeconds(7), new Percentage(1_000_000)) }, routes[0].Fault);
        Assert.Equal(
            new FaultConfig
            {
                Delay = new DelayFaultConfig(TimeSpan.FromMilliseconds(100), new Percentage(50_000)),
                Abort = new AbortFaultConfig(500, null, new Percentage(100_000)),
            },
            routes[1].Fault);
        Assert.Equal(new FaultConfig { Abort = new AbortFaultConfig(null, 14, new Percentage(1_000)) }, routes[2].Fault);
        // Without a percentage Envoy's fault filter injects nothing (0%).
        Assert.Equal(new FaultConfig { Abort = new AbortFaultConfig(503, null, Percentage.None) }, routes[3].Fault);
    }

    [Fact]
    public void Retries_split_retry_on_into_conditions_and_status_codes()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /a}}]
              retries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,connect-failure,429,503", backoff: 50ms}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {prefix: /b}}]
              retries: {attempts: 0}
              route: [{destination: {host: reviews, subset: v1}}]
            - retries: {attempts: 1, retryIgnorePreviousHosts: false, retryRemoteLocalities: true}
              route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal(
            new RetryPolicyConfig
            {
                NumRetries = 3,
                RetryOn = RetryOn.GatewayError | RetryOn.ConnectFailure | RetryOn.RetriableStatusCodes,
                RetriableStatusCodes = [429, 503],
                PerTryTimeout = TimeSpan.FromSeconds(2),
                BackoffBaseInterval = TimeSpan.FromMilliseconds(50),
                RetryOtherHosts = true,
                HostSelectionRetryMaxAttempts = 5,
            },
            routes[0].Route!.Retry);
        Assert.Null(routes[1].Route!.Retry);
        Assert.False(routes[2].Route!.Retry!.RetryOtherHosts);
        Assert.Equal(1, routes[2].Route!.Retry!.NumRetries);
        // retryRemoteLocalities: Envoy's previous_priorities retry priority.
        Assert.True(routes[2].Route!.Retry!.RetryOtherPriorities);
        Assert.False(routes[0].Route!.Retry!.RetryOtherPriorities);
    }

    [Fact]
    public void Timeout_is_set_only_when_given()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /slow}}]
              timeout: 10s
              route: [{destination: {host: reviews, subset: v1}}]
            - route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal(TimeSpan.FromSeconds(10), routes[0].Route!.Timeout);
        Assert.Null(routes[1].Route!.Timeout);
    }

    [Fact]
    public void Rewrites_translate_to_prefix_regex_and_host_rewrites()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /v1/reviews}}]
              rewrite: {uri: /reviews, authority: reviews.internal}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {exact: /old}}]
              rewrite: {uri: /new}
              route: [{destination: {host: reviews, subset: v1}}]
            - match: [{uri: {regex: "^/api/(v[0-9])/(.*)"}}]
              rewrite:
                uriRegexRewrite: {match: "^/api/(v[0-9])/(.*)", rewrite: "/\\2?version=\\1"}
              route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal("/reviews", routes[0].Route!.PrefixRewrite);
        Assert.Equal("reviews.internal", routes[0].Route!.HostRewrite);
        Assert.Equal(new PathMatchConfig(PathMatchKind.Exact, "/old"), routes[1].Match.Path);
        Assert.Equal("/new", routes[1].Route!.PrefixRewrite); // replaces the whole path of an exact match
        Assert.Equal(new RegexRewriteConfig("^/api/(v[0-9])/(.*)", "/\\2?version=\\1"), routes[2].Route!.RegexRewrite);
    }

    [Fact]
    public void Redirects_replace_the_path_and_follow_istios_port_rules()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /a}}]
              redirect: {uri: /v1/bookRatings, authority: newratings.default.svc.cluster.local}
            - match: [{uri: {prefix: /b}}]
              redirect: {scheme: https, port: 443, redirectCode: 308}
            - match: [{uri: {prefix: /c}}]
              redirect: {authority: other.example.com, derivePort: FROM_REQUEST_PORT}
            - redirect: {port: 80}
            """);
        Assert.Equal(new RedirectConfig { PathRedirect = "/v1/bookRatings", Host = "newratings.default.svc.cluster.local" }, routes[0].Redirect);
        Assert.Equal(new RedirectConfig { Scheme = "https", ResponseCode = 308 }, routes[1].Redirect); // :443 with https is implied
        Assert.Equal(new RedirectConfig { Host = "other.example.com", Port = 9080 }, routes[2].Redirect);
        Assert.Equal(new RedirectConfig(), routes[3].Redirect); // :80 with http is implied
        Assert.All(routes, r => Assert.Null(r.Route));
    }

    [Fact]
    public void Direct_responses_carry_status_and_body()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /maintenance}}]
              directResponse: {status: 503, body: {string: "down for maintenance"}}
            - directResponse: {status: 200, body: {bytes: aGVsbG8=}}
            """);
        Assert.Equal(new DirectResponseConfig(503, "down for maintenance"), routes[0].DirectResponse);
        Assert.Equal(new DirectResponseConfig(200, "hello"), routes[1].DirectResponse);
    }

    [Fact]
    public void Mirrors_default_to_all_requests_and_zero_disables()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /a}}]
              route: [{destination: {host: reviews, subset: v1}}]
              mirror: {host: reviews, subset: v2}
            - match: [{uri: {prefix: /b}}]
              route: [{destination: {host: reviews, subset: v1}}]
              mirror: {host: reviews, subset: v2}
              mirrorPercentage: {value: 12.5}
            - match: [{uri: {prefix: /c}}]
              route: [{destination: {host: reviews, subset: v1}}]
              mirror: {host: reviews, subset: v2}
              mirrorPercentage: {value: 0}
            - route: [{destination: {host: reviews, subset: v1}}]
              mirrors:
              - destination: {host: reviews, subset: v2}
              - destination: {host: reviews, subset: v3}
                percentage: {value: 50}
            """);
        Assert.Equal([new MirrorPolicyConfig(Cluster("v2"), Percentage.Full)], routes[0].Route!.Mirrors);
        Assert.Equal([new MirrorPolicyConfig(Cluster("v2"), new Percentage(125_000))], routes[1].Route!.Mirrors);
        Assert.Empty(routes[2].Route!.Mirrors);
        Assert.Equal([new MirrorPolicyConfig(Cluster("v2"), Percentage.Full), new MirrorPolicyConfig(Cluster("v3"), new Percentage(500_000))], routes[3].Route!.Mirrors);
    }

    [Fact]
    public void Header_operations_apply_per_route_and_per_destination()
    {
        var routes = ReviewsRoutes("""
            - match: [{uri: {prefix: /single}}]
              headers:
                request:
                  set: {x-b: "2", x-a: "1"}
                  add: {x-trace: on}
                  remove: [x-internal]
                response:
                  remove: [server]
              route:
              - destination: {host: reviews, subset: v1}
                headers:
                  request:
                    set: {x-version: v1, ":authority": reviews.v1}
            - route:
              - destination: {host: reviews, subset: v1}
                weight: 75
                headers:
                  response:
                    add: {x-served-by: v1}
              - destination: {host: reviews, subset: v2}
                weight: 25
            """);
        var single = routes[0];
        Assert.Equal(
            new HeaderMutationConfig
            {
                Set = [new HeaderValueConfig("x-a", "1"), new HeaderValueConfig("x-b", "2"), new HeaderValueConfig("x-version", "v1")],
                Add = [new HeaderValueConfig("x-trace", "on")],
                Remove = ["x-internal"],
            },
            single.RequestHeaders);
        Assert.Equal(new HeaderMutationConfig { Remove = ["server"] }, single.ResponseHeaders);
        Assert.Equal("reviews.v1", single.Route!.HostRewrite);

        var weighted = routes[1].Route!.Clusters;
        Assert.Equal(new HeaderMutationConfig { Add = [new HeaderValueConfig("x-served-by", "v1")] }, weighted[0].ResponseHeaders);
        Assert.True(weighted[1].ResponseHeaders.IsEmpty);
    }

    [Fact]
    public void Source_labels_namespace_and_match_port_decide_whether_a_route_exists_for_this_proxy()
    {
        var routes = ReviewsRoutes("""
            - match: [{sourceLabels: {app: productpage}, sourceNamespace: default, uri: {prefix: /mine}}]
              route: [{destination: {host: reviews, subset: v2}}]
            - match: [{sourceLabels: {app: reviews}, uri: {prefix: /theirs}}]
              route: [{destination: {host: reviews, subset: v3}}]
            - match: [{sourceNamespace: shop, uri: {prefix: /shop}}]
              route: [{destination: {host: reviews, subset: v3}}]
            - match: [{port: 8080, uri: {prefix: /other-port}}]
              route: [{destination: {host: reviews, subset: v3}}]
            - match: [{gateways: [istio-system/ingress], uri: {prefix: /gateway}}]
              route: [{destination: {host: reviews, subset: v3}}]
            - route: [{destination: {host: reviews, subset: v1}}]
            """);
        Assert.Equal(["/mine", "/"], routes.Select(r => r.Match.Path.Value));
    }

    [Fact]
    public void Consistent_hash_destinations_get_a_hash_policy_and_no_previous_hosts_retry()
    {
        var routes = ReviewsRoutes("- route: [{destination: {host: reviews, subset: sticky}}]", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews-sticky}
            spec:
              host: reviews
              subsets:
              - name: sticky
                labels: {version: v3}
                trafficPolicy:
                  loadBalancer: {consistentHash: {httpHeaderName: x-user}}
            """);
        var action = Assert.Single(routes).Route!;
        Assert.Equal(new HashPolicyConfig { Kind = HashPolicyKind.Header, Name = "x-user" }, Assert.Single(action.HashPolicy));
        Assert.False(action.Retry!.RetryOtherHosts);
    }

    [Theory]
    [InlineData("{httpHeaderName: x-user}", HashPolicyKind.Header, "x-user")]
    [InlineData("{useSourceIp: true}", HashPolicyKind.SourceIp, null)]
    [InlineData("{httpQueryParameterName: session}", HashPolicyKind.QueryParameter, "session")]
    public void Each_hash_key_becomes_a_route_hash_policy(string consistentHash, HashPolicyKind kind, string? name)
    {
        var rule = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews-hash}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash: HASH
            """.Replace("HASH", consistentHash, StringComparison.Ordinal);
        var route = SingleReviewsRoute("- route: [{destination: {host: reviews, subset: v1}}]", rule);
        Assert.Equal(new HashPolicyConfig { Kind = kind, Name = name }, Assert.Single(route.Route!.HashPolicy));
    }

    [Fact]
    public void A_virtual_service_naming_the_mesh_among_its_gateways_applies()
    {
        var config = TranslationFixture.Config(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              gateways: [istio-system/ingress, mesh]
              http:
              - match: [{gateways: [mesh], uri: {prefix: /internal}}]
                route: [{destination: {host: reviews, subset: v3}}]
              - route: [{destination: {host: reviews, subset: v1}}]
            """));
        var routes = config.Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes;
        Assert.Equal([Cluster("v3"), Cluster("v1")], routes.Select(r => r.Route!.Clusters[0].Cluster));
    }
}
