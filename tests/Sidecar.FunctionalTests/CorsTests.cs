using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>A VirtualService <c>corsPolicy</c> through a real sidecar process (Istio YAML -> Envoy's CORS filter).</summary>
public sealed class CorsTests : IClassFixture<BookinfoMesh>
{
    private readonly BookinfoMesh _mesh;

    public CorsTests(BookinfoMesh mesh) => _mesh = mesh;

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string id, params (string Name, string Value)[] headers) =>
        _mesh.Sidecar.SendAsync("ratings:9080", "/cors/ratings/0", method, r =>
        {
            r.Headers.Add("x-test-id", id);
            foreach (var (name, value) in headers)
            {
                r.Headers.Add(name, value);
            }
        });

    [Fact]
    public async Task Preflight_from_an_allowed_origin_is_answered_with_the_policy_and_never_reaches_the_app()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await SendAsync(HttpMethod.Options, id, ("origin", "https://web.dev.example.com"), ("access-control-request-method", "PUT"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://web.dev.example.com", Single(response, "access-control-allow-origin"));
        Assert.Equal("GET,PUT", Single(response, "access-control-allow-methods"));
        Assert.Equal("content-type", Single(response, "access-control-allow-headers"));
        Assert.Equal("600", Single(response, "access-control-max-age")); // maxAge: 10m, in seconds
        Assert.False(response.Headers.Contains("access-control-allow-credentials"));
        Assert.Equal(0, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Preflight_from_another_origin_is_answered_without_allow_origin_when_unmatchedPreflights_is_IGNORE()
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await SendAsync(HttpMethod.Options, id, ("origin", "https://attacker.example.net"), ("access-control-request-method", "PUT"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("access-control-allow-origin"));
        Assert.Equal(0, _mesh.Ratings.CountFor(id));
    }

    [Fact]
    public async Task Cross_origin_request_reaches_the_app_and_its_response_allows_the_origin()
    {
        var allowedId = Guid.NewGuid().ToString("N");
        var otherId = Guid.NewGuid().ToString("N");
        using var allowed = await SendAsync(HttpMethod.Get, allowedId, ("origin", "https://bookinfo.example.com"));
        using var other = await SendAsync(HttpMethod.Get, otherId, ("origin", "https://attacker.example.net"));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("https://bookinfo.example.com", Single(allowed, "access-control-allow-origin"));
        Assert.Equal("x-ratings-version", Single(allowed, "access-control-expose-headers"));
        Assert.Equal(1, _mesh.Ratings.CountFor(allowedId));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.False(other.Headers.Contains("access-control-allow-origin"));
        Assert.Equal(1, _mesh.Ratings.CountFor(otherId));
    }

    private static string Single(HttpResponseMessage response, string name) => Assert.Single(response.Headers.GetValues(name));
}
