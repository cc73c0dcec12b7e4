using System.Net;
using System.Text.Json;
using Sidecar.Bookinfo.Hosting;
using Sidecar.Bookinfo.Roles;
using Sidecar.Bookinfo.Tests.Infrastructure;

namespace Sidecar.Bookinfo.Tests.Roles;

public sealed class EchoRoleTests
{
    [Fact]
    public async Task Echo_describes_the_request_it_received()
    {
        await using var echo = await BookinfoHost.StartAsync(WorkloadRole.Echo, "v2");
        using var client = new HttpClient { BaseAddress = echo.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Put, "/any/path?x=1") { Content = new ByteArrayContent(new byte[5000]) };
        request.Headers.Host = "reviews:9080";
        request.Headers.Add("x-request-id", "abc");

        using var response = await client.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var root = document.RootElement;
        Assert.Equal(["echo-v2"], response.Headers.GetValues("x-bookinfo-workload"));
        Assert.Equal("echo", root.GetProperty("workload").GetString());
        Assert.Equal("v2", root.GetProperty("version").GetString());
        Assert.Equal("PUT", root.GetProperty("method").GetString());
        Assert.Equal("/any/path", root.GetProperty("path").GetString());
        Assert.Equal("?x=1", root.GetProperty("query").GetString());
        Assert.Equal("reviews:9080", root.GetProperty("host").GetString());
        Assert.Equal("HTTP/1.1", root.GetProperty("protocol").GetString());
        Assert.Equal("abc", root.GetProperty("headers").GetProperty("x-request-id").GetString());
        Assert.Equal(5000, root.GetProperty("bodyBytes").GetInt64());
    }

    [Fact]
    public async Task Size_asks_for_a_body_of_that_many_bytes()
    {
        await using var echo = await BookinfoHost.StartAsync(WorkloadRole.Echo);
        using var client = new HttpClient { BaseAddress = echo.BaseUri };

        using var small = await client.GetAsync("/?size=1024");
        using var large = await client.GetAsync("/?a=b&size=200000");
        using var empty = await client.GetAsync("/?size=0");

        Assert.Equal(1024, (await small.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal("application/octet-stream", small.Content.Headers.ContentType!.MediaType);
        Assert.Equal(200_000, (await large.Content.ReadAsByteArrayAsync()).Length); // larger than the prepared buffer
        Assert.Empty(await empty.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
    }

    [Fact]
    public async Task Payload_bytes_answers_every_request_with_that_body_and_drains_request_bodies()
    {
        await using var echo = await BookinfoHost.StartAsync(WorkloadRole.Echo, payloadBytes: 1024);
        using var client = new HttpClient { BaseAddress = echo.BaseUri };

        using var post = await client.PostAsync("/upload", new ByteArrayContent(new byte[100_000]));
        using var get = await client.GetAsync("/anything");

        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(1024, (await post.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal(1024, (await get.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task H2c_serves_http2_with_prior_knowledge()
    {
        await using var echo = await BookinfoHost.StartAsync(WorkloadRole.Echo, http2Only: true);
        using var client = new HttpClient
        {
            BaseAddress = echo.BaseUri,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.GetAsync("/h2");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", document.RootElement.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task Health_is_answered_before_anything_else()
    {
        await using var echo = await BookinfoHost.StartAsync(WorkloadRole.Echo, payloadBytes: 64);
        using var client = new HttpClient { BaseAddress = echo.BaseUri };

        Assert.Equal("""{"status":"Echo is healthy"}""", await client.GetStringAsync("/health"));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("?size=1024", 1024)]
    [InlineData("?a=1&size=10&b=2", 10)]
    [InlineData("?notsize=5", null)]
    [InlineData("?size=-1", null)]
    [InlineData("?size=abc", null)]
    [InlineData("?size=999999999999", null)]
    [InlineData("?size=100000000", EchoRole.MaxPayloadBytes)]
    public void The_size_parameter_is_read_from_the_raw_query(string? query, int? expected)
    {
        Assert.Equal(expected, EchoRole.RequestedSize(query));
    }
}
