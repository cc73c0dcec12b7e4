using System.Net;
using Sidecar.Bookinfo.Hosting;
using Sidecar.Bookinfo.Tests.Infrastructure;

namespace Sidecar.Bookinfo.Tests.Roles;

public sealed class RatingsRoleTests
{
    [Fact]
    public async Task Ratings_answers_fixed_stars_per_reviewer_as_ratings_js()
    {
        await using var ratings = await BookinfoHost.StartAsync(WorkloadRole.Ratings);
        using var client = new HttpClient { BaseAddress = ratings.BaseUri };

        using var response = await client.GetAsync("/ratings/0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(["ratings-v1"], response.Headers.GetValues("x-bookinfo-workload"));
    }

    [Fact]
    public async Task A_non_numeric_product_id_is_a_bad_request()
    {
        await using var ratings = await BookinfoHost.StartAsync(WorkloadRole.Ratings);
        using var client = new HttpClient { BaseAddress = ratings.BaseUri };

        using var response = await client.GetAsync("/ratings/abc");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"please provide numeric product ID"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_reports_healthy()
    {
        await using var ratings = await BookinfoHost.StartAsync(WorkloadRole.Ratings, version: "v2", name: "ratings-db");
        using var client = new HttpClient { BaseAddress = ratings.BaseUri };

        using var response = await client.GetAsync("/health");

        Assert.Equal("""{"status":"Ratings is healthy"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(["ratings-db-v2"], response.Headers.GetValues("x-bookinfo-workload"));
    }
}
