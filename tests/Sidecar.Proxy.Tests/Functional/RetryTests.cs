using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Envoy's router retry semantics (route.retry_policy, from Istio's HTTPRetry).</summary>
public sealed class RetryTests
{
    private static RouteConfig RouteWithRetry(string cluster, RetryPolicyConfig retry, TimeSpan? timeout = null) => new()
    {
        Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster }], Retry = retry, Timeout = timeout },
    };

    private static Func<HttpContext, ReceivedRequest, Task> FailFirst(int failures, int status = 503)
    {
        var count = 0;
        return async (context, _) =>
        {
            if (Interlocked.Increment(ref count) <= failures)
            {
                context.Response.StatusCode = status;
                await context.Response.WriteAsync("failing");
                return;
            }

            await context.Response.WriteAsync("ok");
        };
    }

    [Fact]
    public async Task RetryOn_5xx_turns_a_failing_then_healthy_upstream_into_200()
    {
        await using var backend = await TestBackend.StartAsync("flaky", FailFirst(2));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 3, RetryOn = RetryOn.ServerError, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        // Each attempt is numbered for the upstream, a caller's own number replaced (Istio's include_request_attempt_count).
        using var response = await proxy.SendAsync("reviews:9080", configure: r => r.Headers.Add("x-envoy-attempt-count", "9"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, backend.RequestCount);
        Assert.Equal(["1", "2", "3"], backend.Received.Select(r => r.Headers["x-envoy-attempt-count"]));
        Assert.False(response.Headers.Contains("x-envoy-response-flags"));

        // The x-request-id made for the request is the one every attempt carries.
        var ids = backend.Received.Select(r => r.Headers["x-request-id"]).Distinct().ToList();
        Assert.True(Guid.TryParse(Assert.Single(ids), out _));
    }

    [Fact]
    public async Task Upstream_service_time_counts_every_attempt_as_Envoy_counts_from_the_routed_request()
    {
        // Envoy's router measures x-envoy-upstream-service-time from the downstream request, not from the last attempt.
        var count = 0;
        await using var backend = await TestBackend.StartAsync("slow-then-ok", async (context, _) =>
        {
            if (Interlocked.Increment(ref count) == 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300)); // the first attempt's own processing time
                context.Response.StatusCode = 503;
                return;
            }

            await context.Response.WriteAsync("ok");
        });
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.ServerError, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var serviceTime = int.Parse(Assert.Single(response.Headers.GetValues("x-envoy-upstream-service-time")), System.Globalization.CultureInfo.InvariantCulture);
        // The second attempt alone takes a few ms; the timer behind Task.Delay may fire a little before 300 ms as the
        // proxy's clock measures, and the header is whole milliseconds, so the bound leaves that margin.
        Assert.True(serviceTime >= 250, $"x-envoy-upstream-service-time {serviceTime} ms leaves out the first attempt");
    }

    [Fact]
    public async Task An_internal_callers_x_envoy_retry_headers_add_retries_to_a_route_without_them_and_are_consumed()
    {
        // Envoy's router honours x-envoy-retry-on and x-envoy-max-retries on an internal request (x-forwarded-for
        // holds one internal address) and consumes them.
        await using var backend = await TestBackend.StartAsync("flaky", FailFirst(2));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", configure: r =>
        {
            r.Headers.Add("x-forwarded-for", "10.1.2.3");
            r.Headers.Add("x-envoy-retry-on", "5xx");
            r.Headers.Add("x-envoy-max-retries", "2");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, backend.RequestCount);
        Assert.All(backend.Received, r => Assert.False(r.Headers.ContainsKey("x-envoy-retry-on") || r.Headers.ContainsKey("x-envoy-max-retries")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("203.0.113.7")] // an external address
    [InlineData("10.1.2.3, 10.1.2.4")] // more than one hop
    public async Task An_apps_own_x_envoy_retry_headers_are_removed_and_do_not_add_retries(string? forwardedFor)
    {
        // Envoy's cleanInternalHeaders: Istio's sidecars leave use_remote_address off, so an app's request (no
        // x-forwarded-for) is not internal, and the headers only an internal caller may send are removed.
        await using var backend = await TestBackend.StartAsync("flaky", FailFirst(2));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", configure: r =>
        {
            if (forwardedFor is not null)
            {
                r.Headers.Add("x-forwarded-for", forwardedFor);
            }

            r.Headers.Add("x-envoy-retry-on", "5xx");
            r.Headers.Add("x-envoy-max-retries", "2");
            r.Headers.Add("x-envoy-force-trace", "true");
        });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var received = Assert.Single(backend.Received);
        Assert.False(received.Headers.ContainsKey("x-envoy-retry-on") || received.Headers.ContainsKey("x-envoy-max-retries") || received.Headers.ContainsKey("x-envoy-force-trace"));
    }

    [Theory]
    [InlineData(null, 300, "30000")] // the app's own header asks for 30 s: removed, the route's 300 ms applies
    [InlineData("127.0.0.1", 30000, "300")] // an internal caller's 300 ms replaces the route's 30 s
    public async Task Only_an_internal_callers_x_envoy_upstream_rq_timeout_ms_replaces_the_route_timeout(string? forwardedFor, int routeTimeoutMs, string headerMs)
    {
        // Istio's request-timeouts task: x-envoy-upstream-rq-timeout-ms overrides the route timeout, for the
        // requests Envoy deems internal. Either way the answer is a 504 that must come long before the longer one.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("slow", async (context, _) =>
        {
            await release.Task;
            await context.Response.WriteAsync("late");
        });
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, new RetryPolicyConfig(), TimeSpan.FromMilliseconds(routeTimeoutMs))], [cluster]));

        try
        {
            using var response = await proxy.SendAsync("reviews:9080", configure: r =>
            {
                if (forwardedFor is not null)
                {
                    r.Headers.Add("x-forwarded-for", forwardedFor);
                }

                r.Headers.Add("x-envoy-upstream-rq-timeout-ms", headerMs);
            }).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
            Assert.Equal("UT", response.Headers.GetValues("x-envoy-response-flags").Single());
            Assert.False(Assert.Single(backend.Received).Headers.ContainsKey("x-envoy-upstream-rq-timeout-ms"));
        }
        finally
        {
            release.SetResult();
        }
    }

    [Fact]
    public async Task Retries_stop_at_num_retries_and_return_the_last_response_with_URX()
    {
        await using var backend = await TestBackend.StartAsync("broken", FailFirst(int.MaxValue));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.GatewayError, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("failing", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, backend.RequestCount);
        Assert.Equal("URX", response.Headers.GetValues("x-envoy-response-flags").Single());
    }

    [Fact]
    public async Task Status_not_in_retry_on_is_not_retried()
    {
        await using var backend = await TestBackend.StartAsync("broken", FailFirst(int.MaxValue, 500));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        // gateway-error covers 502/503/504 only.
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.GatewayError, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task Retriable_status_codes_and_retriable_4xx()
    {
        await using var conflict = await TestBackend.StartAsync("conflict", FailFirst(1, 409));
        await using var teapot = await TestBackend.StartAsync("teapot", FailFirst(1, 418));
        var c1 = Cluster("reviews", 9080, "a", Endpoint(conflict));
        var c2 = Cluster("reviews", 9080, "b", Endpoint(teapot));
        var on409 = RouteWithRetry(c1.Name, new RetryPolicyConfig { NumRetries = 1, RetryOn = RetryOn.Retriable4xx, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) }) with
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/a") },
        };
        var on418 = RouteWithRetry(c2.Name, new RetryPolicyConfig { NumRetries = 1, RetryOn = RetryOn.RetriableStatusCodes, RetriableStatusCodes = [418], BackoffBaseInterval = TimeSpan.FromMilliseconds(1) });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [on409, on418], [c1, c2]));

        using var a = await proxy.SendAsync("reviews:9080", "/a");
        using var b = await proxy.SendAsync("reviews:9080", "/b");

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(2, conflict.RequestCount);
        Assert.Equal(2, teapot.RequestCount);
    }

    [Fact]
    public async Task Connect_failure_is_retried_on_another_host()
    {
        await using var alive = await TestBackend.StartAsync("alive");
        var dead = new EndpointConfig { Address = "127.0.0.1", Port = FreePort.Get() };
        var cluster = Cluster("reviews", 9080, null, dead, Endpoint(alive)) with { LbPolicy = LoadBalancerPolicy.RoundRobin };
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.ConnectFailure, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        for (var i = 0; i < 6; i++)
        {
            using var response = await proxy.SendAsync("reviews:9080");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(6, alive.RequestCount);
    }

    [Fact]
    public async Task Connect_failure_after_the_last_retry_is_503_UF_URX()
    {
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = "127.0.0.1", Port = FreePort.Get() });
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.ConnectFailure, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("UF,URX", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure, transport failure reason: delayed connect error: 111",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_body_larger_than_the_replay_buffer_is_not_retried_and_the_response_goes_downstream()
    {
        // Envoy's router stops retrying once the request body outgrows its buffer (Filter::decodeData): the
        // upstream's answer is the client's, never a retry with a cut-off body.
        var sizes = new List<int>();
        await using var backend = await TestBackend.StartAsync("upload", (context, received) =>
        {
            lock (sizes)
            {
                sizes.Add(received.Body.Length);
            }

            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.ServerError, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));
        var payload = new byte[3 * Sidecar.Proxy.Http.Router.DefaultReplayBufferLimit];

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Post, r => r.Content = new ByteArrayContent(payload));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal([payload.Length], sizes);
    }

    /// <summary>A body of stated length, and a chunked one (no Content-Length: the buffer is chosen from the framing).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Retry_replays_the_request_body(bool chunked)
    {
        var bodies = new List<string>();
        var attempts = 0;
        await using var backend = await TestBackend.StartAsync("echo", async (context, received) =>
        {
            lock (bodies)
            {
                bodies.Add(System.Text.Encoding.UTF8.GetString(received.Body));
            }

            if (Interlocked.Increment(ref attempts) == 1)
            {
                context.Response.StatusCode = 503;
                return;
            }

            await context.Response.WriteAsync("stored");
        });
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 1, RetryOn = RetryOn.ServerError, BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));
        var payload = new string('x', 100_000);

        using var response = await proxy.SendAsync("reviews:9080", "/", HttpMethod.Post, r =>
        {
            r.Content = new StringContent(payload);
            r.Headers.TransferEncodingChunked = chunked;
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([payload, payload], bodies);
    }

    [Fact]
    public async Task Per_try_timeout_retries_a_stalled_attempt()
    {
        var attempts = 0;
        using var release = new CancellationTokenSource();
        await using var backend = await TestBackend.StartAsync("slow-once", async (context, _) =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                // The first attempt stalls until the test ends (or the proxy gives up on it).
                await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(release.Token, context.RequestAborted).Token).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await context.Response.WriteAsync("second");
        });
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.Reset, PerTryTimeout = TimeSpan.FromMilliseconds(300), BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");
        release.Cancel();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("second", await response.Content.ReadAsStringAsync());
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task Route_timeout_is_504_UT()
    {
        using var release = new CancellationTokenSource();
        await using var backend = await TestBackend.StartAsync("stalled", async (context, _) =>
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(release.Token, context.RequestAborted).Token).ContinueWith(_ => { }, TaskScheduler.Default));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var route = new RouteConfig { Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }], Timeout = TimeSpan.FromMilliseconds(400) } };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));

        var clock = Stopwatch.StartNew();
        using var response = await proxy.SendAsync("reviews:9080");
        release.Cancel();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("UT", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("upstream request timeout", await response.Content.ReadAsStringAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_grpc_calls_deadline_bounds_it_like_a_route_timeout()
    {
        // Istio's routes carry max_grpc_timeout (the route's timeout): Envoy ends a gRPC call at its caller's
        // grpc-timeout (a route timeout still caps it). The reply is the timeout's, as gRPC: grpc-status 14, flag UT.
        using var release = new CancellationTokenSource();
        await using var backend = await TestBackend.StartAsync("stalled", async (context, _) =>
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(release.Token, context.RequestAborted).Token).ContinueWith(_ => { }, TaskScheduler.Default));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with { HttpProtocol = UpstreamHttpProtocol.Http1 };
        var route = new RouteConfig { Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }], Timeout = TimeSpan.FromMinutes(5) } };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", "/reviews.Reviews/Get", HttpMethod.Post, r =>
        {
            r.Content = new ByteArrayContent([0, 0, 0, 0, 0]);
            r.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            r.Headers.Add("grpc-timeout", "300m");
        });
        release.Cancel();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("14", response.Headers.GetValues("grpc-status").Single());
        Assert.Equal("UT", response.Headers.GetValues("x-envoy-response-flags").Single());
    }

    [Fact]
    public async Task The_upstream_is_told_the_deadline_the_sidecar_applies()
    {
        // Envoy's FilterUtility::finalTimeout: x-envoy-expected-rq-timeout-ms is the per-try timeout when below the
        // route's, else the route's; under Istio's max_grpc_timeout a gRPC call's grpc-timeout is rewritten to it.
        await using var backend = await TestBackend.StartAsync("deadline");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with { HttpProtocol = UpstreamHttpProtocol.Http1 };
        var withPerTry = RouteWithRetry(cluster.Name, new RetryPolicyConfig { NumRetries = 1, RetryOn = RetryOn.ServerError, PerTryTimeout = TimeSpan.FromSeconds(2) }, TimeSpan.FromSeconds(10)) with
        {
            Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/plain") },
        };
        var grpc = new RouteConfig { Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }], Timeout = TimeSpan.FromMilliseconds(500) } };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [withPerTry, grpc], [cluster]));

        using var plain = await proxy.SendAsync("reviews:9080", "/plain");
        using var call = await proxy.SendAsync("reviews:9080", "/reviews.Reviews/Get", HttpMethod.Post, r =>
        {
            r.Content = new ByteArrayContent([0, 0, 0, 0, 0]);
            r.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            r.Headers.Add("grpc-timeout", "5S");
        });

        var received = backend.Received.ToList();
        Assert.Equal("2000", received.Single(r => r.Path == "/plain").Headers["x-envoy-expected-rq-timeout-ms"]);
        var upstreamCall = received.Single(r => r.Path == "/reviews.Reviews/Get");
        Assert.Equal("500", upstreamCall.Headers["x-envoy-expected-rq-timeout-ms"]);
        Assert.Equal("500m", upstreamCall.Headers["grpc-timeout"]);
    }

    [Theory]
    [InlineData("300m", 300_000)]
    [InlineData("2S", 2_000_000)]
    [InlineData("1H", 3_600_000_000)]
    [InlineData("500u", 500)]
    public void Grpc_timeout_values_parse_with_their_unit(string value, long microseconds) =>
        Assert.Equal(TimeSpan.FromMicroseconds(microseconds), Sidecar.Proxy.Http.GrpcTimeout.Parse(value));

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("123456789S")]
    [InlineData("1x")]
    public void A_grpc_timeout_that_does_not_parse_is_no_deadline(string value) =>
        Assert.Null(Sidecar.Proxy.Http.GrpcTimeout.Parse(value));

    [Fact]
    public async Task Per_try_timeout_on_the_last_attempt_is_504_UT_URX()
    {
        using var release = new CancellationTokenSource();
        await using var backend = await TestBackend.StartAsync("stalled", async (context, _) =>
            await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(release.Token, context.RequestAborted).Token).ContinueWith(_ => { }, TaskScheduler.Default));
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var retry = new RetryPolicyConfig { NumRetries = 1, RetryOn = RetryOn.GatewayError, PerTryTimeout = TimeSpan.FromMilliseconds(200), BackoffBaseInterval = TimeSpan.FromMilliseconds(1) };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteWithRetry(cluster.Name, retry)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");
        release.Cancel();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("UT,URX", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal(2, backend.RequestCount);
        // Both tries timed out on the one host: Envoy's host stat rq_timeout in /clusters.
        var clusters = await proxy.Client.GetStringAsync($"{proxy.AdminUrl}/clusters");
        Assert.Contains($"{cluster.Name}::{backend.Address}:{backend.Port}::rq_timeout::2\n", clusters, StringComparison.Ordinal);
    }

    [Theory]
    // A space in a header name: the response does not parse.
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n")]
    // Framed both ways: Envoy's codec refuses it (http1.content_length_and_chunked_not_allowed, the smuggling case of
    // RFC 9112 section 6.3) unless allow_chunked_length is set, which Istio does not set.
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")]
    public async Task A_response_Envoys_codec_refuses_is_502_UPE_not_forwarded(string rawResponse)
    {
        // An upstream protocol error is Envoy's 502 with flag UPE and reset reason "protocol error", not a connection
        // termination, and (outside retry_on "reset") not retried.
        await using var upstream = RawUpstream.Start(rawResponse);
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = upstream.Address, Port = upstream.Port }) with { HttpProtocol = UpstreamHttpProtocol.Http1 };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("UPE", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("upstream connect error or disconnect/reset before headers. reset reason: protocol error", await response.Content.ReadAsStringAsync());
        Assert.Single(upstream.Heads);
    }
}
