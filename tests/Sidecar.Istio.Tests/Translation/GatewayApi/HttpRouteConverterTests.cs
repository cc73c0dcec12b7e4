using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.GatewayApi;

/// <summary>Gateway API HTTPRoutes attached to Services (GAMMA), converted as istiod converts them for sidecars.</summary>
public sealed class HttpRouteConverterTests
{
    /// <summary>bookinfo's Services as its Gateway API samples define them: reviews, and one Service per version.</summary>
    private const string Services = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews}
        spec:
          clusterIP: 10.96.0.10
          ports: [{name: http, port: 9080}]
          selector: {app: reviews}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews-v1}
        spec:
          clusterIP: 10.96.0.11
          ports: [{name: http, port: 9080}]
          selector: {app: reviews, version: v1}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews-v2}
        spec:
          clusterIP: 10.96.0.12
          ports: [{name: http, port: 9080}]
          selector: {app: reviews, version: v2}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1-a, labels: {app: reviews, version: v1}}
        spec: {containers: [{name: reviews}]}
        status: {podIP: 10.244.0.11}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v2-a, labels: {app: reviews, version: v2}}
        spec: {containers: [{name: reviews}]}
        status: {podIP: 10.244.0.12}

        """;

    private static VirtualHostConfig Reviews(ProxyConfig config) => config.Table("9080").VirtualHost("reviews.default.svc.cluster.local:9080");

    [Fact]
    public void Istios_request_routing_sample_sends_jason_to_v2_and_everyone_else_to_v1()
    {
        // istio.io's "Request Routing" task, Gateway API tab.
        var config = Config(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs:
              - group: ""
                kind: Service
                name: reviews
                port: 9080
              rules:
              - matches:
                - headers:
                  - name: end-user
                    value: jason
                backendRefs:
                - name: reviews-v2
                  port: 9080
              - backendRefs:
                - name: reviews-v1
                  port: 9080
            """);

        var routes = Reviews(config).Routes;
        Assert.Equal(2, routes.Count);
        var jason = routes[0];
        Assert.Equal("end-user", Assert.Single(jason.Match.Headers).Name);
        Assert.Equal("outbound|9080||reviews-v2.default.svc.cluster.local", Assert.Single(jason.Route!.Clusters).Cluster);
        Assert.Equal(PathMatchConfig.Any, routes[1].Match.Path);
        Assert.Equal("outbound|9080||reviews-v1.default.svc.cluster.local", Assert.Single(routes[1].Route!.Clusters).Cluster);
        Assert.Equal("default.reviews.1", routes[1].Name);
        Assert.Equal("HTTPRoute default/reviews", routes[1].Origin);
        // No retry stanza: the mesh's default retry policy applies, as to any route; a missing cluster answers 500.
        Assert.Equal(2, routes[1].Route!.Retry!.NumRetries);
        Assert.Equal(500, routes[1].Route!.ClusterNotFoundStatus);
        Assert.Equal(["10.244.0.12:9080"], config.Cluster("outbound|9080||reviews-v2.default.svc.cluster.local").Endpoints.Select(e => e.ToString()));
    }

    [Fact]
    public void Weights_split_traffic_and_a_zero_weight_backend_is_dropped()
    {
        var config = Config(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - backendRefs:
                - {name: reviews-v1, port: 9080, weight: 80}
                - {name: reviews-v2, port: 9080, weight: 20}
                - {name: reviews, port: 9080, weight: 0}
            """);

        var clusters = Assert.Single(Reviews(config).Routes).Route!.Clusters;
        Assert.Equal(
            [("outbound|9080||reviews-v1.default.svc.cluster.local", 80), ("outbound|9080||reviews-v2.default.svc.cluster.local", 20)],
            clusters.Select(c => (c.Cluster, c.Weight)));
    }

    [Fact]
    public void Routes_of_several_http_routes_merge_in_gateway_api_precedence_with_segment_prefixes()
    {
        var config = Config(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: older, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /api/}}]
                backendRefs: [{name: reviews-v1, port: 9080}]
              - matches: [{path: {type: RegularExpression, value: "/r[0-9]+"}}]
                backendRefs: [{name: reviews-v1, port: 9080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: newer, creationTimestamp: "2026-02-01T00:00:00Z"}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - matches: [{path: {type: Exact, value: /api/health}}, {path: {type: PathPrefix, value: /api/v2}, method: POST}]
                backendRefs: [{name: reviews-v2, port: 9080}]
              - matches: [{path: {type: PathPrefix, value: /api/v2}}]
                backendRefs: [{name: reviews-v2, port: 9080}]
            """);

        // Exact first; then prefixes, longer first and a method before none; then regexes.
        Assert.Equal(
            [(PathMatchKind.Exact, "/api/health"), (PathMatchKind.PathSeparatedPrefix, "/api/v2"), (PathMatchKind.PathSeparatedPrefix, "/api/v2"), (PathMatchKind.PathSeparatedPrefix, "/api"), (PathMatchKind.Regex, "/r[0-9]+")],
            Reviews(config).Routes.Select(r => (r.Match.Path.Kind, r.Match.Path.Value)));
        Assert.Equal(":method", Assert.Single(Reviews(config).Routes[1].Match.Headers).Name);
        Assert.Equal("HTTPRoute default/older, HTTPRoute default/newer", Reviews(config).Routes[0].Origin);
    }

    [Fact]
    public void Filters_become_header_operations_rewrites_redirects_and_mirrors()
    {
        var config = Config(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /strip}}]
                filters:
                - type: URLRewrite
                  urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}, hostname: reviews.internal}
                - type: RequestHeaderModifier
                  requestHeaderModifier:
                    set: [{name: X-Version, value: "2"}]
                    add: [{name: x-added, value: a}]
                    remove: [x-secret]
                - type: RequestMirror
                  requestMirror: {backendRef: {name: reviews-v2, port: 9080}, fraction: {numerator: 1, denominator: 4}}
                backendRefs: [{name: reviews-v1, port: 9080}]
              - matches: [{path: {type: Exact, value: /full}}]
                filters:
                - type: URLRewrite
                  urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /replaced}}
                backendRefs: [{name: reviews-v1, port: 9080}]
              - matches: [{path: {type: PathPrefix, value: /old}}]
                filters:
                - type: RequestRedirect
                  requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}, statusCode: 302}
            """);

        var routes = Reviews(config).Routes;
        var strip = routes.Single(r => r.Match.Path.Value == "/strip");
        Assert.Equal(new RegexRewriteConfig("^/strip(/?)(.*)", @"/\2"), strip.Route!.RegexRewrite);
        Assert.Equal("reviews.internal", strip.Route.HostRewrite);
        Assert.Equal("x-version", Assert.Single(strip.RequestHeaders.Set).Name);
        Assert.Equal("x-added", Assert.Single(strip.RequestHeaders.Add).Name);
        Assert.Equal(["x-secret"], strip.RequestHeaders.Remove);
        var mirror = Assert.Single(strip.Route.Mirrors);
        Assert.Equal(("outbound|9080||reviews-v2.default.svc.cluster.local", 250_000), (mirror.Cluster, mirror.Fraction.PartsPerMillion));

        Assert.Equal(new RegexRewriteConfig("/.*", "/replaced"), routes.Single(r => r.Match.Path.Value == "/full").Route!.RegexRewrite);

        var redirect = routes.Single(r => r.Match.Path.Value == "/old").Redirect!;
        Assert.Equal(("/new", null, 302), (redirect.PrefixRewrite, redirect.PathRedirect, redirect.ResponseCode));
    }

    [Fact]
    public void Timeouts_and_retry_map_as_istiod_maps_them()
    {
        var config = Config(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /retried}}]
                backendRefs: [{name: reviews-v1, port: 9080}]
                timeouts: {request: 10s, backendRequest: 2s}
                retry: {codes: [500, 502], attempts: 3, backoff: 100ms}
              - matches: [{path: {type: PathPrefix, value: /slow}}]
                backendRefs: [{name: reviews-v1, port: 9080}]
                timeouts: {request: 500ms}
            """);

        var retried = Reviews(config).Routes.Single(r => r.Match.Path.Value == "/retried").Route!;
        Assert.Equal(TimeSpan.FromSeconds(10), retried.Timeout);
        Assert.Equal(3, retried.Retry!.NumRetries);
        Assert.Equal(TimeSpan.FromSeconds(2), retried.Retry.PerTryTimeout);
        Assert.Equal([500, 502], retried.Retry.RetriableStatusCodes);
        Assert.True(retried.Retry.RetryOn.HasFlag(RetryOn.ConnectFailure) && retried.Retry.RetryOn.HasFlag(RetryOn.RetriableStatusCodes));
        Assert.Equal(TimeSpan.FromMilliseconds(100), retried.Retry.BackoffBaseInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), Reviews(config).Routes.Single(r => r.Match.Path.Value == "/slow").Route!.Timeout);
    }

    [Fact]
    public void A_rule_without_usable_backends_answers_500()
    {
        var result = Translate(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /gone}}]
                backendRefs: [{name: reviews-v9, port: 9080}]
              - backendRefs: [{name: reviews-v1, port: 9080, weight: 0}]
            """);

        var routes = Reviews(result.Config!).Routes;
        // A missing Service keeps its place: no cluster, answered 500 (cluster_not_found_response_code).
        Assert.Equal("outbound|9080||reviews-v9.default.svc.cluster.local", Assert.Single(routes[0].Route!.Clusters).Cluster);
        Assert.Null(result.Config!.FindCluster("outbound|9080||reviews-v9.default.svc.cluster.local"));
        Assert.Equal(500, routes[0].Route!.ClusterNotFoundStatus);
        Assert.Contains(result.Warnings, w => w.Contains("spec.rules[0].backendRefs[0]: backend service \"default/reviews-v9\" not found", StringComparison.Ordinal));
        // Every backend weighted 0: a direct 500.
        Assert.Equal(500, routes[1].DirectResponse!.Status);
    }

    [Fact]
    public void A_consumer_route_applies_only_in_its_namespace_and_a_producer_route_everywhere()
    {
        const string consumer = """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews-for-frontend, namespace: frontend}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews, namespace: default}]
              rules:
              - backendRefs: [{name: reviews-v2, namespace: default, port: 9080}]
            """;
        var inDefault = Config(Services + consumer);
        var inFrontend = Config(Services + consumer, Productpage with { Namespace = "frontend" });

        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", Assert.Single(Assert.Single(Reviews(inDefault).Routes).Route!.Clusters).Cluster);
        Assert.Equal("outbound|9080||reviews-v2.default.svc.cluster.local", Assert.Single(Assert.Single(Reviews(inFrontend).Routes).Route!.Clusters).Cluster);
    }

    [Fact]
    public void An_unsupported_filter_leaves_the_route_unapplied_with_a_warning_naming_it()
    {
        var result = Translate(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Auth, name: a}}]
                backendRefs: [{name: reviews-v2, port: 9080}]
            """);

        Assert.True(result.IsValid);
        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", Assert.Single(Assert.Single(Reviews(result.Config!).Routes).Route!.Clusters).Cluster);
        Assert.Contains(result.Warnings, w => w.Contains("HTTPRoute default/reviews: spec.rules[0].filters[0].type: unsupported filter type \"ExtensionRef\"; the route is not applied", StringComparison.Ordinal));
    }

    [Fact]
    public void A_regex_the_proxy_cannot_run_is_refused_with_its_field()
    {
        var error = Assert.Single(Errors(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: reviews}
            spec:
              parentRefs: [{group: "", kind: Service, name: reviews}]
              rules:
              - matches: [{headers: [{type: RegularExpression, name: x-user, value: "a++"}]}]
                backendRefs: [{name: reviews-v2, port: 9080}]
            """));

        Assert.Equal("HTTPRoute default/reviews", error.Resource);
        Assert.Equal("spec.rules[0].matches[0].headers[0].value", error.Field);
    }

    [Fact]
    public void A_grpc_route_matches_service_and_method_as_paths()
    {
        var config = Config("""
            apiVersion: v1
            kind: Service
            metadata: {name: greeter}
            spec:
              clusterIP: 10.96.0.20
              ports: [{name: grpc, port: 50051}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: greeter-v2}
            spec:
              clusterIP: 10.96.0.21
              ports: [{name: grpc, port: 50051}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: greeter}
            spec:
              parentRefs: [{group: "", kind: Service, name: greeter, port: 50051}]
              rules:
              - matches:
                - method: {service: helloworld.Greeter, method: SayHello}
                  headers: [{name: x-canary, value: "true"}]
                backendRefs: [{name: greeter-v2, port: 50051}]
              - matches:
                - method: {service: helloworld.Greeter}
                - method: {type: RegularExpression, method: "Say.*"}
                backendRefs: [{name: greeter, port: 50051}]
            """);

        var routes = config.Table("50051").VirtualHost("greeter.default.svc.cluster.local:50051").Routes;
        Assert.Equal(
            [(PathMatchKind.Exact, "/helloworld.Greeter/SayHello"), (PathMatchKind.PathSeparatedPrefix, "/helloworld.Greeter"), (PathMatchKind.Regex, "/[^/]+/Say.*")],
            routes.Select(r => (r.Match.Path.Kind, r.Match.Path.Value)));
        Assert.Equal("outbound|50051||greeter-v2.default.svc.cluster.local", Assert.Single(routes[0].Route!.Clusters).Cluster);
        Assert.Equal("GRPCRoute default/greeter", routes[0].Origin);
    }

    [Fact]
    public void A_route_attached_only_to_a_gateway_is_passed_over_whatever_it_holds()
    {
        var result = Translate(Services + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: ingress}
            spec:
              parentRefs: [{name: bookinfo-gateway}]
              rules:
              - matches: [{path: {type: RegularExpression, value: "a++"}}]
                backendRefs: [{name: reviews-v2, port: 9080}]
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", Assert.Single(Assert.Single(Reviews(result.Config!).Routes).Route!.Clusters).Cluster);
    }

    [Fact]
    public void A_sidecar_imports_a_converted_route_only_when_its_host_lies_within_an_egress_host()
    {
        // istiod's VSMatches: SubsetOf for gateway semantics, the two-way Matches for other VirtualServices.
        const string entry = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: example}
            spec:
              hosts: ["*.example.com"]
              location: MESH_EXTERNAL
              resolution: NONE
              ports: [{number: 80, name: http, protocol: HTTP}]
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              egress: [{hosts: [./api.example.com]}]
            ---
            """;
        const string route = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: example}
            spec:
              parentRefs: [{group: networking.istio.io, kind: ServiceEntry, name: example}]
              rules:
              - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-route, value: gateway-api}]}}]
                backendRefs: [{group: networking.istio.io, kind: Hostname, name: api.example.com, port: 80}]
            """;
        const string virtualService = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: example}
            spec:
              hosts: ["*.example.com"]
              http:
              - headers: {request: {set: {x-route: virtual-service}}}
                route: [{destination: {host: api.example.com}}]
            """;

        static IEnumerable<string> RouteHeaders(ProxyConfig config) =>
            config.Table("80").VirtualHosts.SelectMany(v => v.Routes).SelectMany(r => r.RequestHeaders.Set).Select(h => h.Value);

        Assert.DoesNotContain("gateway-api", RouteHeaders(Config(entry + "\n" + route)));
        Assert.Contains("virtual-service", RouteHeaders(Config(entry + "\n" + virtualService)));
    }
}
