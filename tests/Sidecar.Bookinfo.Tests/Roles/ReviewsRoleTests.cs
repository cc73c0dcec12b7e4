using System.Net;
using System.Text.Json;
using Sidecar.Bookinfo.Hosting;
using Sidecar.Bookinfo.Tests.Infrastructure;

namespace Sidecar.Bookinfo.Tests.Roles;

public sealed class ReviewsRoleTests
{
    [Fact]
    public async Task Reviews_v1_answers_without_ratings_and_calls_nothing()
    {
        await using var router = await HostRouter.StartAsync();
        await using var reviews = await BookinfoHost.StartAsync(WorkloadRole.Reviews, "v1", upstream: router.BaseUri);
        using var client = new HttpClient { BaseAddress = reviews.BaseUri };

        using var document = JsonDocument.Parse(await client.GetStringAsync("/reviews/0"));

        var root = document.RootElement;
        Assert.Equal("0", root.GetProperty("id").GetString());
        Assert.Equal("reviews-v1", root.GetProperty("podname").GetString());
        var list = root.GetProperty("reviews");
        Assert.Equal(2, list.GetArrayLength());
        Assert.Equal("Reviewer1", list[0].GetProperty("reviewer").GetString());
        Assert.StartsWith("An extremely entertaining play", list[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.False(list[0].TryGetProperty("rating", out _));
        Assert.Empty(router.Requests);
    }

    [Theory]
    [InlineData("v2", "black")]
    [InlineData("v3", "red")]
    public async Task Reviews_v2_and_v3_call_ratings_through_the_upstream_by_host(string version, string color)
    {
        await using var ratings = await BookinfoHost.StartAsync(WorkloadRole.Ratings);
        await using var router = await HostRouter.StartAsync();
        router.Route("ratings:9080", ratings.BaseUri);
        await using var reviews = await BookinfoHost.StartAsync(WorkloadRole.Reviews, version, upstream: router.BaseUri);
        using var client = new HttpClient { BaseAddress = reviews.BaseUri };

        using var document = JsonDocument.Parse(await client.GetStringAsync("/reviews/0"));

        var list = document.RootElement.GetProperty("reviews");
        Assert.Equal(5, list[0].GetProperty("rating").GetProperty("stars").GetInt32());
        Assert.Equal(4, list[1].GetProperty("rating").GetProperty("stars").GetInt32());
        Assert.Equal(color, list[0].GetProperty("rating").GetProperty("color").GetString());
        var call = Assert.Single(router.Requests);
        Assert.Equal("ratings:9080", call.Host);
        Assert.Equal("/ratings/0", call.PathAndQuery);
    }

    [Fact]
    public async Task Unreachable_ratings_become_an_error_in_each_review()
    {
        await using var router = await HostRouter.StartAsync(); // no route: 404 for ratings:9080
        await using var reviews = await BookinfoHost.StartAsync(WorkloadRole.Reviews, "v2", upstream: router.BaseUri);
        using var client = new HttpClient { BaseAddress = reviews.BaseUri };

        using var response = await client.GetAsync("/reviews/0");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rating = document.RootElement.GetProperty("reviews")[0].GetProperty("rating");
        Assert.Equal("Ratings service is currently unavailable", rating.GetProperty("error").GetString());
        Assert.False(rating.TryGetProperty("stars", out _));
    }
}
