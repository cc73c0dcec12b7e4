using Sidecar.LoadHarness.Running;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Tests.Running;

public sealed class RequestTemplateTests
{
    [Fact]
    public void A_get_with_a_payload_asks_the_backend_for_that_many_bytes()
    {
        var scenario = new LoadScenario { Url = new Uri("http://127.0.0.1:9080/echo"), PayloadBytes = 1024 };

        var template = new RequestTemplate(scenario);
        var request = template.CreateRequest(template.CreateContent());

        Assert.Equal("http://127.0.0.1:9080/echo?size=1024", request.RequestUri!.ToString());
        Assert.Null(request.Content);
    }

    [Fact]
    public void The_size_parameter_joins_an_existing_query()
    {
        var scenario = new LoadScenario { Url = new Uri("http://127.0.0.1:9080/echo?a=1"), PayloadBytes = 10 };

        Assert.Equal("http://127.0.0.1:9080/echo?a=1&size=10", RequestTemplate.TargetUri(scenario).ToString());
    }

    [Fact]
    public void A_post_sends_the_payload_as_its_body()
    {
        var scenario = new LoadScenario
        {
            Url = new Uri("http://127.0.0.1:9080/"),
            Method = HttpMethod.Post,
            PayloadBytes = 1024,
        };

        var template = new RequestTemplate(scenario);
        var content = template.CreateContent();
        var request = template.CreateRequest(content);

        Assert.Equal("http://127.0.0.1:9080/", request.RequestUri!.ToString());
        Assert.Same(content, request.Content);
        Assert.Equal(1024, request.Content!.Headers.ContentLength);
    }

    [Fact]
    public void Host_replaces_the_authority_and_other_headers_are_added()
    {
        var scenario = new LoadScenario
        {
            Url = new Uri("http://127.0.0.1:15001/reviews/0"),
            Headers = [new("Host", "reviews:9080"), new("end-user", "jason")],
            Protocol = HttpProtocol.Http2,
        };

        var request = new RequestTemplate(scenario).CreateRequest(null);

        Assert.Equal("reviews:9080", request.Headers.Host);
        Assert.Equal(["jason"], request.Headers.GetValues("end-user"));
        Assert.Equal(System.Net.HttpVersion.Version20, request.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, request.VersionPolicy);
    }
}
