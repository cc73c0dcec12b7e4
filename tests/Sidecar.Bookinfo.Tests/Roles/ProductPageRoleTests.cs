using System.Net;
using System.Text.Json;
using Sidecar.Bookinfo.Hosting;
using Sidecar.Bookinfo.Tests.Infrastructure;

namespace Sidecar.Bookinfo.Tests.Roles;

public sealed class ProductPageRoleTests
{
    [Fact]
    public async Task The_product_page_shows_details_reviews_and_the_reviews_version_that_answered()
    {
        await using var topology = await Topology.StartAsync("v3");
        using var client = new HttpClient { BaseAddress = topology.ProductPage.BaseUri };

        using var response = await client.GetAsync("/productpage");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("The Comedy of Errors", html, StringComparison.Ordinal);
        Assert.Contains("<dd>paperback</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<b id=\"reviews-workload\">reviews-v3</b>", html, StringComparison.Ordinal);
        Assert.Contains("style=\"color:red\">\u2605\u2605\u2605\u2605\u2605</span>", html, StringComparison.Ordinal);
        Assert.Contains("\u2605\u2605\u2605\u2605\u2606", html, StringComparison.Ordinal);
        Assert.Equal(["details:9080", "reviews:9080", "ratings:9080"], topology.Router.Requests.Select(r => r.Host).ToArray());
    }

    [Fact]
    public async Task The_api_passes_the_services_json_through()
    {
        await using var topology = await Topology.StartAsync("v2");
        using var client = new HttpClient { BaseAddress = topology.ProductPage.BaseUri };

        using var products = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products"));
        using var details = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0"));
        using var reviews = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0/reviews"));
        using var ratings = JsonDocument.Parse(await client.GetStringAsync("/api/v1/products/0/ratings"));

        Assert.Equal("The Comedy of Errors", products.RootElement[0].GetProperty("title").GetString());
        Assert.Equal("1234567890", details.RootElement.GetProperty("ISBN-10").GetString());
        Assert.Equal("reviews-v2", reviews.RootElement.GetProperty("podname").GetString());
        Assert.Equal(5, ratings.RootElement.GetProperty("ratings").GetProperty("Reviewer1").GetInt32());
    }

    [Fact]
    public async Task Trace_and_user_headers_are_propagated_to_every_call_and_others_are_not()
    {
        await using var topology = await Topology.StartAsync("v2");
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = topology.ProductPage.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/productpage");
        request.Headers.Add("x-request-id", "req-42");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.Add("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7");
        request.Headers.Add("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
        request.Headers.Add("x-datadog-trace-id", "1234");
        request.Headers.Add("sw8", "1-abc");
        request.Headers.Add("cookie", "user=jason");
        request.Headers.Add("x-not-propagated", "secret");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, topology.Router.Requests.Count);
        Assert.All(topology.Router.Requests, call =>
        {
            Assert.Equal("req-42", call.Headers["x-request-id"]);
            Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", call.Headers["traceparent"]);
            Assert.Equal("80f198ee56343ba864fe8b2a57d3eff7", call.Headers["x-b3-traceid"]);
            Assert.Equal("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1", call.Headers["b3"]);
            Assert.Equal("1234", call.Headers["x-datadog-trace-id"]);
            Assert.Equal("1-abc", call.Headers["sw8"]);
            Assert.Equal("user=jason", call.Headers["cookie"]);
            Assert.False(call.Headers.ContainsKey("x-not-propagated"));
        });

        // productpage turns the logged-in user into end-user (Istio's request-routing task matches on it);
        // reviews passes end-user on to ratings.
        Assert.Equal("jason", topology.Router.RequestsFor("reviews:9080").Single().Headers["end-user"]);
        Assert.Equal("jason", topology.Router.RequestsFor("ratings:9080").Single().Headers["end-user"]);
    }

    [Fact]
    public async Task Failing_reviews_are_tried_twice_then_reported_unavailable()
    {
        await using var topology = await Topology.StartAsync("v1", routeReviews: false);
        using var client = new HttpClient { BaseAddress = topology.ProductPage.BaseUri };

        var html = await client.GetStringAsync("/productpage");
        using var api = await client.GetAsync("/api/v1/products/0/reviews");

        Assert.Contains("Sorry, product reviews are currently unavailable for this book.", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode); // the status the call got is passed on, as productpage.py does
        Assert.Equal(4, topology.Router.RequestsFor("reviews:9080").Count); // two per page, two per API call
    }

    [Fact]
    public async Task Login_sets_the_user_cookie_and_logout_clears_it()
    {
        await using var topology = await Topology.StartAsync("v1");
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = topology.ProductPage.BaseUri };

        using var login = await client.PostAsync("/login", new FormUrlEncodedContent([new("username", "jason")]));
        using var logout = await client.GetAsync("/logout");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), cookie => cookie.StartsWith("user=jason", StringComparison.Ordinal));
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), cookie => cookie.StartsWith("user=;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_is_plain_text_as_productpage_py()
    {
        await using var productpage = await BookinfoHost.StartAsync(WorkloadRole.ProductPage);
        using var client = new HttpClient { BaseAddress = productpage.BaseUri };

        Assert.Equal("Product page is healthy", await client.GetStringAsync("/health"));
    }

    /// <summary>productpage, details, reviews (one version) and ratings, every call routed by Host through a router.</summary>
    private sealed class Topology : IAsyncDisposable
    {
        private readonly List<BookinfoHost> _hosts = [];

        public HostRouter Router { get; private set; } = null!;

        public BookinfoHost ProductPage { get; private set; } = null!;

        public static async Task<Topology> StartAsync(string reviewsVersion, bool routeReviews = true)
        {
            var topology = new Topology { Router = await HostRouter.StartAsync() };
            var router = topology.Router;
            var details = await topology.AddAsync(WorkloadRole.Details, "v1", null);
            var ratings = await topology.AddAsync(WorkloadRole.Ratings, "v1", null);
            var reviews = await topology.AddAsync(WorkloadRole.Reviews, reviewsVersion, router.BaseUri);
            topology.ProductPage = await topology.AddAsync(WorkloadRole.ProductPage, "v1", router.BaseUri);
            router.Route("details:9080", details.BaseUri);
            router.Route("ratings:9080", ratings.BaseUri);
            if (routeReviews)
            {
                router.Route("reviews:9080", reviews.BaseUri);
            }

            return topology;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var host in _hosts)
            {
                await host.DisposeAsync();
            }

            await Router.DisposeAsync();
        }

        private async Task<BookinfoHost> AddAsync(WorkloadRole role, string version, Uri? upstream)
        {
            var host = await BookinfoHost.StartAsync(role, version, upstream);
            _hosts.Add(host);
            return host;
        }
    }
}
