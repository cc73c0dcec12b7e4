using System.Net;
using Sidecar.Bookinfo.Hosting;
using Sidecar.Bookinfo.Tests.Infrastructure;

namespace Sidecar.Bookinfo.Tests.Roles;

public sealed class DetailsRoleTests
{
    [Fact]
    public async Task Details_answers_the_book_as_details_rb()
    {
        await using var details = await BookinfoHost.StartAsync(WorkloadRole.Details);
        using var client = new HttpClient { BaseAddress = details.BaseUri };

        using var response = await client.GetAsync("/details/7");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"id":7,"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}""",
            await response.Content.ReadAsStringAsync());
        Assert.Equal(["details-v1"], response.Headers.GetValues("x-bookinfo-workload"));
    }

    [Fact]
    public async Task A_non_numeric_product_id_is_a_bad_request()
    {
        await using var details = await BookinfoHost.StartAsync(WorkloadRole.Details);
        using var client = new HttpClient { BaseAddress = details.BaseUri };

        using var response = await client.GetAsync("/details/x");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
