using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>DestinationRule traffic policies as the data plane applies them: balancing, circuit breaking, outlier detection.</summary>
public sealed class UpstreamPolicyTests
{
    [Theory]
    [InlineData(60)]
    [InlineData(0)]
    public async Task A_generated_affinity_cookie_keeps_the_client_on_its_endpoint_when_sent_back_quoted(int ttlSeconds)
    {
        // consistentHash.httpCookie with a ttl: Envoy generates the cookie (quoted), and strips the quotes of the
        // value the client returns before hashing it; a zero ttl makes a session cookie (no Max-Age).
        var backends = new List<TestBackend>();
        for (var i = 0; i < 4; i++)
        {
            backends.Add(await TestBackend.StartAsync($"r{i}"));
        }

        try
        {
            var cluster = Cluster("reviews", 9080, null, backends.Select(b => Endpoint(b)).ToArray()) with { LbPolicy = LoadBalancerPolicy.RingHash };
            var route = new RouteConfig
            {
                Route = new RouteActionConfig
                {
                    Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }],
                    HashPolicy = [new HashPolicyConfig { Kind = HashPolicyKind.Cookie, Name = "session", CookiePath = "/", CookieTtl = TimeSpan.FromSeconds(ttlSeconds) }],
                },
            };
            await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));
            // Each client keeps its own cookie: no cookie container shared between them.
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { BaseAddress = proxy.Client.BaseAddress };

            for (var client = 0; client < 8; client++)
            {
                using var first = await SendAsync(http, null);
                var setCookie = Assert.Single(first.Headers.GetValues("set-cookie"));
                Assert.Equal(ttlSeconds > 0, setCookie.Contains("Max-Age=60", StringComparison.Ordinal));
                Assert.DoesNotContain("Max-Age=0", setCookie, StringComparison.Ordinal);
                var cookie = setCookie.Split(';')[0];
                Assert.Matches("^session=\"[0-9a-f]{16}\"$", cookie);
                var owner = await first.Content.ReadAsStringAsync();
                for (var i = 0; i < 5; i++)
                {
                    using var next = await SendAsync(http, cookie);
                    Assert.Equal(owner, await next.Content.ReadAsStringAsync());
                    Assert.False(next.Headers.Contains("set-cookie"));
                }
            }
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }

        static Task<HttpResponseMessage> SendAsync(HttpClient http, string? cookie)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = "reviews:9080";
            if (cookie is not null)
            {
                request.Headers.Add("cookie", cookie);
            }

            return http.SendAsync(request);
        }
    }

    [Theory]
    [InlineData(LoadBalancerPolicy.RingHash)]
    [InlineData(LoadBalancerPolicy.Maglev)]
    public async Task Consistent_hash_on_a_header_keeps_each_key_on_one_endpoint(LoadBalancerPolicy policy)
    {
        var backends = new List<TestBackend>();
        for (var i = 0; i < 4; i++)
        {
            backends.Add(await TestBackend.StartAsync($"r{i}"));
        }

        try
        {
            var cluster = Cluster("reviews", 9080, null, backends.Select(b => Endpoint(b)).ToArray()) with { LbPolicy = policy };
            var route = new RouteConfig
            {
                Route = new RouteActionConfig
                {
                    Clusters = [new WeightedClusterConfig { Cluster = cluster.Name }],
                    HashPolicy = [new HashPolicyConfig { Kind = HashPolicyKind.Header, Name = "x-user" }],
                },
            };
            await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));

            var owners = new Dictionary<string, HashSet<string>>();
            for (var round = 0; round < 5; round++)
            {
                for (var user = 0; user < 20; user++)
                {
                    using var response = await proxy.SendAsync("reviews:9080", configure: r => r.Headers.Add("x-user", $"user-{user}"));
                    var served = await response.Content.ReadAsStringAsync();
                    if (!owners.TryGetValue($"user-{user}", out var set))
                    {
                        owners[$"user-{user}"] = set = [];
                    }

                    set.Add(served);
                }
            }

            Assert.All(owners.Values, set => Assert.Single(set));
            // Twenty keys spread over more than one endpoint.
            Assert.True(owners.Values.Select(s => s.Single()).Distinct().Count() > 1);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Round_robin_spreads_requests_evenly()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        var cluster = Cluster("reviews", 9080, null, Endpoint(a), Endpoint(b), Endpoint(c)) with { LbPolicy = LoadBalancerPolicy.RoundRobin };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        for (var i = 0; i < 30; i++)
        {
            using var response = await proxy.SendAsync("reviews:9080");
        }

        Assert.Equal([10, 10, 10], new[] { a.RequestCount, b.RequestCount, c.RequestCount });
    }

    [Fact]
    public async Task Max_connections_and_pending_requests_overflow_is_503_UO()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("slow", async (context, _) =>
        {
            arrived.TrySetResult();
            await gate.Task;
            await context.Response.WriteAsync("done");
        });
        // Istio's circuit-breaking example: maxConnections 1, http1MaxPendingRequests 1.
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with
        {
            HttpProtocol = UpstreamHttpProtocol.Http1,
            CircuitBreakers = new CircuitBreakersConfig { MaxConnections = 1, MaxPendingRequests = 1 },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var first = proxy.SendAsync("reviews:9080");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = proxy.SendAsync("reviews:9080");
        await Wait.UntilAsync(() => ActiveRequests(proxy, cluster.Name) == 2, TimeSpan.FromSeconds(10), "two requests admitted");
        using var third = await proxy.SendAsync("reviews:9080");

        // The counters Istio's circuit-breaking task reads from the admin stats while the breaker holds.
        using var admin = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var stats = (await admin.GetStringAsync($"{proxy.AdminUrl}/stats")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ")).ToDictionary(p => p[0], p => p[1]);
        var prefix = $"cluster.{cluster.Name}.";
        Assert.Equal("1", stats[prefix + "upstream_rq_pending_overflow"]);
        Assert.Equal("1", stats[prefix + "upstream_rq_pending_total"]);
        Assert.Equal("1", stats[prefix + "upstream_rq_pending_active"]);
        Assert.Equal("1", stats[prefix + "circuit_breakers.default.rq_pending_open"]);
        Assert.Equal("0", stats[prefix + "circuit_breakers.default.remaining_pending"]);
        gate.SetResult();
        using var r1 = await first;
        using var r2 = await second;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.Equal("UO", third.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("true", third.Headers.GetValues("x-envoy-overloaded").Single());
        Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
    }

    [Fact]
    public async Task Consecutive_5xx_ejects_the_failing_endpoint()
    {
        await using var bad = await TestBackend.StartAsync("bad", (context, _) =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        await using var good = await TestBackend.StartAsync("good");
        var cluster = Cluster("reviews", 9080, null, Endpoint(bad), Endpoint(good)) with
        {
            LbPolicy = LoadBalancerPolicy.RoundRobin,
            OutlierDetection = new OutlierDetectionConfig { Consecutive5xx = 2, BaseEjectionTime = TimeSpan.FromMinutes(5), MaxEjectionPercent = 50 },
            HealthyPanicThresholdPercent = 0,
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        for (var i = 0; i < 20; i++)
        {
            using var response = await proxy.SendAsync("reviews:9080");
        }

        Assert.Equal(2, bad.RequestCount);
        Assert.Equal(18, good.RequestCount);
        using var admin = new HttpClient();
        var clusters = await admin.GetStringAsync($"{proxy.AdminUrl}/clusters");
        Assert.Contains($"{cluster.Name}::{bad.Address}:{bad.Port}::health_flags::/failed_outlier_check", clusters);
    }

    [Fact]
    public async Task Http2_prior_knowledge_passes_through_to_an_http2_cluster()
    {
        await using var backend = await TestBackend.StartAsync("grpc", async (context, received) =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");
            await context.Response.WriteAsync(received.Protocol);
        }, protocols: HttpProtocols.Http2);
        var cluster = Cluster("echo", 9090, null, Endpoint(backend)) with { HttpProtocol = UpstreamHttpProtocol.Http2 };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9090, "echo", [RouteTo(cluster.Name)], [cluster]));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{proxy.Client.BaseAddress}pkg.Echo/Say")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "echo:9090";
        request.Content.Headers.ContentType = new("application/grpc");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", await response.Content.ReadAsStringAsync());
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
    }

    private static int ActiveRequests(ProxyTestHost proxy, string cluster) =>
        proxy.Services.GetService(typeof(DataPlane)) is DataPlane plane && plane.Current!.Clusters.TryGetValue(cluster, out var state) ? state.ActiveRequests : -1;
}
