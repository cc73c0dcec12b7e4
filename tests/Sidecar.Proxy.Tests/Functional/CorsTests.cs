using System.Net;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>
/// Envoy's CORS filter per route, from Istio's VirtualService <c>corsPolicy</c> (allowOrigins, allowMethods,
/// allowHeaders, exposeHeaders, maxAge, allowCredentials, unmatchedPreflights).
/// </summary>
public sealed class CorsTests
{
    private static readonly CorsPolicyConfig Policy = new()
    {
        AllowOrigins =
        [
            new StringMatcherConfig(StringMatchKind.Exact, "https://app.example.com"),
            new StringMatcherConfig(StringMatchKind.Prefix, "https://dev."),
            new StringMatcherConfig(StringMatchKind.Regex, @"https://[a-z]+\.example\.org"),
        ],
        AllowMethods = "GET,POST",
        AllowHeaders = "content-type,x-token",
        ExposeHeaders = "x-trace",
        MaxAge = "86400",
        AllowCredentials = true,
    };

    [Fact]
    public async Task Preflight_from_an_allowed_origin_is_answered_by_the_sidecar_and_not_forwarded()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy);

        using var response = await proxy.SendAsync("reviews:9080", "/reviews/1", HttpMethod.Options, Preflight("https://app.example.com", "POST", "x-token"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example.com", Header(response, "access-control-allow-origin"));
        Assert.Equal("GET,POST", Header(response, "access-control-allow-methods"));
        Assert.Equal("content-type,x-token", Header(response, "access-control-allow-headers"));
        Assert.Equal("86400", Header(response, "access-control-max-age"));
        Assert.Equal("true", Header(response, "access-control-allow-credentials"));
        Assert.Null(Header(response, "access-control-expose-headers"));
        Assert.Equal(0, backend.RequestCount);
    }

    [Theory]
    [InlineData("https://dev.example.com")]
    [InlineData("https://shop.example.org")]
    public async Task Prefix_and_regex_origins_match_as_Envoy_string_matchers(string origin)
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy);

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Options, Preflight(origin, "GET"));

        Assert.Equal(origin, Header(response, "access-control-allow-origin"));
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task Request_from_an_allowed_origin_is_forwarded_and_its_response_carries_the_cors_headers()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy);

        using var response = await proxy.SendAsync("reviews:9080", "/reviews/1", HttpMethod.Get, r => r.Headers.Add("origin", "https://app.example.com"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example.com", Header(response, "access-control-allow-origin"));
        Assert.Equal("true", Header(response, "access-control-allow-credentials"));
        Assert.Equal("x-trace", Header(response, "access-control-expose-headers"));
        Assert.Null(Header(response, "access-control-allow-methods"));
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task Request_from_another_origin_is_forwarded_without_cors_headers()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy);

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Get, r => r.Headers.Add("origin", "https://evil.example.net"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Header(response, "access-control-allow-origin"));
        Assert.Null(Header(response, "access-control-expose-headers"));
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task Unmatched_preflight_is_forwarded_by_default_unmatchedPreflights_FORWARD()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy);

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Options, Preflight("https://evil.example.net", "DELETE"));

        Assert.Equal(1, backend.RequestCount);
        Assert.Null(Header(response, "access-control-allow-origin"));
        Assert.Null(Header(response, "access-control-allow-methods"));
    }

    [Fact]
    public async Task Unmatched_preflight_is_answered_without_allow_origin_when_unmatchedPreflights_IGNORE()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy with { ForwardNotMatchingPreflights = false });

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Options, Preflight("https://evil.example.net", "DELETE"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Header(response, "access-control-allow-origin"));
        Assert.Equal("GET,POST", Header(response, "access-control-allow-methods"));
        Assert.Equal(0, backend.RequestCount);
    }

    [Fact]
    public async Task Options_without_access_control_request_method_is_not_a_preflight_and_is_forwarded()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        await using var proxy = await StartAsync(backend, Policy);

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Options, r => r.Headers.Add("origin", "https://app.example.com"));

        Assert.Equal(1, backend.RequestCount);
        Assert.Equal("https://app.example.com", Header(response, "access-control-allow-origin"));
    }

    [Fact]
    public async Task Star_in_allow_methods_and_headers_echoes_what_the_preflight_asked_for()
    {
        await using var backend = await TestBackend.StartAsync("reviews");
        var everything = Policy with { AllowOrigins = [new StringMatcherConfig(StringMatchKind.Exact, "*")], AllowMethods = "*", AllowHeaders = "*" };
        await using var proxy = await StartAsync(backend, everything);

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Options, Preflight("https://anyone.example", "PATCH", "x-custom"));

        Assert.Equal("https://anyone.example", Header(response, "access-control-allow-origin"));
        Assert.Equal("PATCH", Header(response, "access-control-allow-methods"));
        Assert.Equal("x-custom", Header(response, "access-control-allow-headers"));
    }

    [Fact]
    public async Task Router_local_reply_UF_carries_cors_headers_but_a_fault_abort_FI_does_not()
    {
        // Istio's filter order is fault, cors, router: the router's replies pass through the CORS filter, the
        // fault filter's do not.
        var dead = Cluster("reviews", 9080, null, new EndpointConfig { Address = "127.0.0.1", Port = FreePort.Get() });
        var routes = new[]
        {
            RouteTo(dead.Name, new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/abort") }) with
            {
                Cors = Policy,
                Fault = new FaultConfig { Abort = new AbortFaultConfig(503, null, Percentage.Full) },
            },
            RouteTo(dead.Name) with { Cors = Policy },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", routes, [dead]));

        using var failed = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Get, r => r.Headers.Add("origin", "https://app.example.com"));
        using var aborted = await proxy.SendAsync("reviews:9080", "/abort", HttpMethod.Get, r => r.Headers.Add("origin", "https://app.example.com"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("UF", Header(failed, "x-envoy-response-flags"));
        Assert.Equal("https://app.example.com", Header(failed, "access-control-allow-origin"));
        Assert.Equal("FI", Header(aborted, "x-envoy-response-flags"));
        Assert.Null(Header(aborted, "access-control-allow-origin"));
    }

    private static Task<ProxyTestHost> StartAsync(TestBackend backend, CorsPolicyConfig cors)
    {
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        return ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name) with { Cors = cors }], [cluster]));
    }

    private static Action<HttpRequestMessage> Preflight(string origin, string method, string? headers = null) => r =>
    {
        r.Headers.Add("origin", origin);
        r.Headers.Add("access-control-request-method", method);
        if (headers is not null)
        {
            r.Headers.Add("access-control-request-headers", headers);
        }
    };

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;
}
