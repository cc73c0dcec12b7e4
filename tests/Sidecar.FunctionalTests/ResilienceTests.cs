using System.Diagnostics;
using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>Retries, timeouts and fault injection from VirtualService http routes, through a real sidecar process.</summary>
public sealed class ResilienceTests : IClassFixture<BookinfoMesh>
{
    private readonly BookinfoMesh _mesh;

    public ResilienceTests(BookinfoMesh mesh) => _mesh = mesh;

    private Task<HttpResponseMessage> Ratings(string path, string id, params (string Name, string Value)[] headers) =>
        _mesh.Sidecar.SendAsync("ratings:9080", path, configure: r =>
        {
            r.Headers.Add("x-test-id", id);
            foreach (var (name, value) in headers)
            {
                r.Headers.Add(name, value);
            }
        });

    [Fact]
    public async Task Retries_turn_a_failing_then_healthy_upstream_into_200()
    {
        // retries: {attempts: 3, retryOn: 5xx}; the upstream fails twice.
        var id = Guid.NewGuid().ToString("N");
        using var response = await Ratings("/retry", id, ("x-fail-first", "2"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ratings-v1", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Retries_stop_at_the_attempt_limit_with_flag_URX()
    {
        // retries: {attempts: 2, retryOn: gateway-error}: 1 try + 2 retries, then the last 503 goes back.
        var id = Guid.NewGuid().ToString("N");
        using var response = await Ratings("/limited", id, ("x-fail-first", "100"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("URX", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal(3, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Retry_on_gateway_error_leaves_a_500_alone()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await Ratings("/limited", id, ("x-fail-first", "100"), ("x-fail-status", "500"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Per_try_timeout_retries_a_stalled_attempt()
    {
        // retries: {attempts: 2, perTryTimeout: 300ms, retryOn: reset}: the first attempt stalls.
        var id = Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        using var response = await Ratings("/per-try", id, ("x-stall-first", "1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _mesh.Ratings.CountFor(id));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Route_timeout_is_504_with_flag_UT()
    {
        // timeout: 400ms on a stalled upstream.
        var id = Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        using var response = await Ratings("/timeout", id, ("x-stall-first", "1"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("UT", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("upstream request timeout", await response.Content.ReadAsStringAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Fault_abort_at_100_percent_is_503_with_flag_FI()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await Ratings("/abort", id);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("FI", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("fault filter abort", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Fault_delay_at_100_percent_holds_the_request_with_flag_DI()
    {
        var id = Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        using var response = await Ratings("/delay", id);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(480), $"answered after {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DI", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal(1, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Fault_abort_at_30_percent_holds_within_statistical_bounds()
    {
        const int n = 400;
        var aborted = 0;
        for (var i = 0; i < n; i++)
        {
            using var response = await Ratings("/partial-abort", "partial-abort");
            aborted += response.StatusCode == HttpStatusCode.InternalServerError ? 1 : 0;
        }

        // Binomial(400, 0.3): mean 120, sd ~9.2; accept +-5 sd.
        Assert.InRange(aborted, 74, 166);
    }

    [Fact]
    public async Task Fault_delay_at_50_percent_holds_within_statistical_bounds()
    {
        const int n = 400;
        var delayed = 0;
        for (var i = 0; i < n; i++)
        {
            using var response = await Ratings("/partial-delay", "partial-delay");
            delayed += response.Headers.TryGetValues("x-envoy-response-flags", out var flags) && flags.Single() == "DI" ? 1 : 0;
        }

        // Binomial(400, 0.5): mean 200, sd 10; accept +-5 sd.
        Assert.InRange(delayed, 150, 250);
    }
}
