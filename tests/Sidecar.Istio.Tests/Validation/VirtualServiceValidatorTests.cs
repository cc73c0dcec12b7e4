using static Sidecar.Istio.Tests.Validation.ValidationFixture;

namespace Sidecar.Istio.Tests.Validation;

public sealed class VirtualServiceValidatorTests
{
    [Fact]
    public void Bookinfo_rules_are_valid()
    {
        var result = Validate(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, Bookinfo.ReviewsJason, Bookinfo.RatingsDelayForJason));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Errors_name_file_resource_and_field_in_the_logged_form()
    {
        var error = SingleError(VirtualService("""
            - route:
              - destination: {host: reviews, subset: v1}
                weight: -10
            """), "spec.http[0].route[0].weight", "weight -10 < 0");
        Assert.Equal("rules.yaml: VirtualService default/reviews: spec.http[0].route[0].weight: weight -10 < 0", error.ToString());
    }

    [Fact]
    public void CorsPolicy_with_a_bad_origin_regex_is_refused_at_its_field() =>
        SingleError(VirtualService("""
            - corsPolicy:
                allowOrigins: [{regex: "https://(unclosed"}]
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].corsPolicy.allowOrigins[0]", "corsPolicy.allowOrigins");

    [Fact]
    public void CorsPolicy_headers_are_one_header_name_per_entry() =>
        SingleError(VirtualService("""
            - corsPolicy:
                allowOrigins: [{exact: "https://app.example.com"}]
                allowHeaders: ["content-type, authorization"]
                exposeHeaders: ["*", x-custom]
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].corsPolicy.allowHeaders", "header name content-type, authorization is not a valid header name");

    [Fact]
    public void CorsPolicy_is_valid_and_applied_without_a_warning()
    {
        var result = Validate(VirtualService("""
            - corsPolicy:
                allowOrigins: [{exact: "https://app.example.com"}, {prefix: "https://dev."}]
                allowMethods: [GET, POST]
                maxAge: 24h
                allowCredentials: true
              route: [{destination: {host: reviews}}]
            """));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("corsPolicy", StringComparison.Ordinal));
    }

    [Fact]
    public void A_short_name_and_its_fqdn_may_both_be_listed_as_Istio_compares_hosts_as_written()
    {
        // Istio's ValidateVirtualService: host.Name(hosts[i]).Matches(hosts[j]) on the names as written.
        var result = Validate(VirtualService("- route: [{destination: {host: reviews}}]", "[reviews, reviews.default.svc.cluster.local]"));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.True(Validate(VirtualService("- route: [{destination: {host: reviews}}]", "[Example.com, example.com]")).IsValid);
    }

    [Fact]
    public void Overlapping_hosts_are_duplicates() =>
        SingleError(VirtualService("- route: [{destination: {host: reviews}}]", "[\"*.example.com\", api.example.com]"),
            "spec.hosts", "duplicate hosts in virtual service: *.example.com & api.example.com");

    [Fact]
    public void Upper_case_subset_names_and_star_dash_wildcards_are_valid_as_in_Istio()
    {
        // Istio's labels.IsDNS1123Label admits upper case; its wildcard prefix admits "*-".
        var result = Validate(VirtualService("- route: [{destination: {host: reviews, subset: V1}}]", "[reviews, \"*-api.example.com\"]") + """

            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets: [{name: V1, labels: {version: v1}}]
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void A_virtual_service_without_hosts_is_a_valid_delegate() =>
        // PILOT_ENABLE_VIRTUAL_SERVICE_DELEGATE (on by default): no hosts marks a delegate, not an error.
        Assert.True(Validate("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              http: [{route: [{destination: {host: reviews}}]}]
            """).IsValid);

    [Fact]
    public void Wildcard_star_host_is_not_allowed_for_the_mesh() =>
        SingleError(VirtualService("- route: [{destination: {host: reviews}}]", "['*']"), "spec.hosts[0]", "wildcard host * is not allowed");

    [Fact]
    public void Several_destinations_must_not_all_weigh_zero() =>
        SingleError(VirtualService("""
            - route:
              - destination: {host: reviews, subset: v1}
                weight: 0
              - destination: {host: reviews, subset: v2}
                weight: 0
            """), "spec.http[0].route", "total destination weight = 0");

    [Fact]
    public void Weights_need_not_sum_to_100()
    {
        // Istio dropped the sum-to-100 rule; Envoy's weighted_clusters normalise the total.
        var result = Validate(VirtualService("""
            - route:
              - destination: {host: reviews, subset: v1}
                weight: 3
              - destination: {host: reviews, subset: v2}
                weight: 1
            """));
        Assert.True(result.IsValid);
    }

    [Theory]
    [InlineData("x-rate: 100%", "unbalanced '%'")]
    [InlineData("x-peer: \"%DOWNSTREAM_PEER%\"", "Envoy refuses it: unknown command operator %DOWNSTREAM_PEER%")]
    public void Header_values_are_checked_as_Istio_and_Envoys_formatter_check_them(string header, string message) =>
        SingleError(VirtualService("""
            - headers:
                request:
                  set:
                    HEADER
              route: [{destination: {host: reviews}}]
            """.Replace("HEADER", header, StringComparison.Ordinal)), "spec.http[0].headers.request.set." + header.Split(':')[0], message);

    [Fact]
    public void Header_values_may_name_Envoys_operators_and_escape_percent() =>
        Assert.True(Validate(VirtualService("""
            - headers:
                request:
                  set: {x-client: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", x-rate: "100%%", x-user: "%REQ(end-user)%"}
              route: [{destination: {host: reviews}}]
            """)).IsValid);

    [Theory]
    [InlineData("percentage: {value: 101}", "spec.http[0].fault.abort.percentage.value", "percentage 101 is neither 0.0, nor in range [0.0001, 100.0]")]
    [InlineData("httpStatus: 700", "spec.http[0].fault.abort.httpStatus", "HTTP status 700 is not in range 200-599")]
    [InlineData("grpcStatus: NOPE", "spec.http[0].fault.abort.grpcStatus", "gRPC status \"NOPE\" is not supported")]
    public void Fault_aborts_are_checked(string abort, string field, string message) =>
        SingleError(VirtualService("""
            - fault:
                abort:
                  ABORT
              route: [{destination: {host: reviews}}]
            """.Replace("ABORT", abort, StringComparison.Ordinal)), field, message);

    [Fact]
    public void A_fault_delay_needs_at_least_one_millisecond() =>
        SingleError(VirtualService("""
            - fault:
                delay: {fixedDelay: 500us, percentage: {value: 10}}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].fault.delay.fixedDelay", "duration must be greater than 1ms");

    [Fact]
    public void A_zero_timeout_is_refused_as_istio_does() =>
        SingleError(VirtualService("""
            - timeout: 0s
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].timeout", "duration must be greater than 1ms");

    [Fact]
    public void Durations_must_be_whole_milliseconds() =>
        SingleError(VirtualService("""
            - timeout: 1500us
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].timeout", "only durations to ms precision are supported");

    [Fact]
    public void Retry_attempts_must_not_be_negative() =>
        SingleError(VirtualService("""
            - retries: {attempts: -1}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].retries.attempts", "attempts cannot be negative");

    [Fact]
    public void Retry_policy_with_zero_attempts_is_refused() =>
        SingleError(VirtualService("""
            - retries: {attempts: 0, retryOn: 5xx}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].retries", "attempts are set to 0 (disabled)");

    [Fact]
    public void RetryOn_accepts_envoy_conditions_and_status_codes_only() =>
        SingleError(VirtualService("""
            - retries: {attempts: 3, retryOn: "gateway-error,503,connect-failure,sometimes"}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].retries.retryOn", "\"sometimes\" is not a valid retryOn policy");

    [Fact]
    public void Regexes_must_be_valid_re2() =>
        SingleError(VirtualService("""
            - match:
              - uri: {regex: "/api/(?=v1)"}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].match[0].uri", "\"uri\":");

    [Fact]
    public void Header_regexes_and_empty_prefixes_are_checked()
    {
        var result = Validate(VirtualService("""
            - match:
              - headers:
                  end-user: {regex: "(jason"}
                method: {prefix: ""}
              route: [{destination: {host: reviews}}]
            """));
        Assert.Equal(["spec.http[0].match[0].headers.end-user", "spec.http[0].match[0].method"], result.Errors.Select(e => e.Field).Order());
    }

    [Fact]
    public void A_rule_needs_exactly_one_action()
    {
        var result = Validate(VirtualService("""
            - redirect: {uri: /v2}
              route: [{destination: {host: reviews}}]
            - fault: {abort: {httpStatus: 500, percentage: {value: 1}}}
            """));
        Assert.Equal(
            ["HTTP route cannot contain both route and redirect", "HTTP route, redirect or direct_response is required"],
            result.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Redirect_codes_must_be_ones_envoy_sends() =>
        SingleError(VirtualService("- redirect: {uri: /v2, redirectCode: 304}"), "spec.http[0].redirect.redirectCode", "redirect code 304 is not supported");

    [Fact]
    public void Direct_response_status_is_checked() =>
        SingleError(VirtualService("- directResponse: {status: 99}"), "spec.http[0].directResponse.status", "HTTP status 99");

    [Fact]
    public void A_delegating_route_may_not_also_route() =>
        SingleError(VirtualService("""
            - delegate: {name: reviews-delegate, namespace: default}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0]", "HTTP route cannot contain both route and delegate");

    [Fact]
    public void A_delegate_may_not_name_gateways_or_delegate_again() =>
        Assert.Equal(
            ["spec.gateways", "spec.http[0].delegate"],
            Validate("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews-delegate}
                spec:
                  gateways: [mesh]
                  http:
                  - delegate: {name: other}
                """).Errors.Select(e => e.Field));

    [Fact]
    public void Mirror_percentage_is_bounded() =>
        SingleError(VirtualService("""
            - route: [{destination: {host: reviews}}]
              mirror: {host: reviews, subset: v3}
              mirrorPercentage: {value: 150}
            """), "spec.http[0].mirrorPercentage", "max value of 100");

    [Fact]
    public void Authority_may_be_rewritten_in_one_place() =>
        SingleError(VirtualService("""
            - rewrite: {authority: a.example.com}
              headers:
                request:
                  set: {":authority": b.example.com}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].headers.request", "authority header cannot be set multiple times");

    [Fact]
    public void Response_headers_cannot_set_host() =>
        SingleError(VirtualService("""
            - headers:
                response:
                  set: {host: x}
              route: [{destination: {host: reviews}}]
            """), "spec.http[0].headers.response.set.host", "cannot set Host header");

    [Fact]
    public void Tls_routes_need_sni_hosts_within_the_virtual_service_hosts()
    {
        var result = Validate("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: tls}
            spec:
              hosts: ["*.example.com"]
              tls:
              - match: [{sniHosts: [api.other.org], port: 443}]
                route: [{destination: {host: api.example.com}}]
            """);
        var error = Assert.Single(result.Errors);
        Assert.Equal("spec.tls[0].match[0].sniHosts[0]", error.Field);
        Assert.Contains("not a compatible subset", error.Message);
    }

    [Fact]
    public void ExportTo_values_are_checked() =>
        SingleError("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              exportTo: ["*", "."]
              http: [{route: [{destination: {host: reviews}}]}]
            """, "spec.exportTo", "cannot have both public (*) and non-public");
}
