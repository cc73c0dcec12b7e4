using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

/// <summary>
/// The upstream URI cache gives the URI <see cref="UpstreamUri.For"/> builds, shares it only between requests for the
/// same destination, path and query, and stays bounded however many distinct paths arrive.
/// </summary>
public sealed class UpstreamUriCacheTests
{
    private const string Destination = "http://10.0.0.7:9080/";

    [Theory]
    [InlineData("/reviews/0", "", "http://10.0.0.7:9080/reviews/0")]
    [InlineData("/reviews/0", "?u=jason", "http://10.0.0.7:9080/reviews/0?u=jason")]
    [InlineData("/a%2Fb", "", "http://10.0.0.7:9080/a%2Fb")]
    [InlineData("/a/../b", "", "http://10.0.0.7:9080/a/../b")]
    public void A_cached_uri_is_the_one_built_for_the_request(string path, string query, string expected)
    {
        var cache = new UpstreamUriCache();

        var first = cache.Get(Destination, path, new QueryString(query.Length == 0 ? null : query));
        var again = cache.Get(Destination, new string(path.AsSpan()), new QueryString(query.Length == 0 ? null : new string(query.AsSpan())));

        Assert.Equal(expected, first.OriginalString);
        Assert.Equal(UpstreamUri.For(Destination, path, new QueryString(query.Length == 0 ? null : query)).AbsoluteUri, first.AbsoluteUri);
        Assert.Same(first, again);
    }

    [Fact]
    public void Another_destination_path_or_query_gets_its_own_uri()
    {
        var cache = new UpstreamUriCache();
        var uri = cache.Get(Destination, "/reviews/0", QueryString.Empty);

        Assert.Equal("http://10.0.0.7:9080/reviews/0", uri.AbsoluteUri);
        Assert.Equal("http://10.0.0.8:9080/reviews/0", cache.Get("http://10.0.0.8:9080/", "/reviews/0", QueryString.Empty).AbsoluteUri);
        Assert.Equal("http://10.0.0.7:9080/reviews/1", cache.Get(Destination, "/reviews/1", QueryString.Empty).AbsoluteUri);
        Assert.Equal("http://10.0.0.7:9080/reviews/0?x=1", cache.Get(Destination, "/reviews/0", new QueryString("?x=1")).AbsoluteUri);
        // The first URI is still the right one; it may have been rebuilt, if a lookup above took its slot.
        Assert.Equal(uri.AbsoluteUri, cache.Get(Destination, "/reviews/0", QueryString.Empty).AbsoluteUri);
    }

    [Fact]
    public void Many_distinct_paths_each_get_their_own_uri_and_the_latest_stay_cached()
    {
        var cache = new UpstreamUriCache();
        for (var i = 0; i < 5_000; i++)
        {
            var path = "/items/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(Destination + path[1..], cache.Get(Destination, path, QueryString.Empty).AbsoluteUri);
        }

        // The cache keeps the latest entries (older ones were replaced: it holds 256 at most).
        var recent = cache.Get(Destination, "/items/4999", QueryString.Empty);
        Assert.Same(recent, cache.Get(Destination, "/items/4999", QueryString.Empty));
    }
}
