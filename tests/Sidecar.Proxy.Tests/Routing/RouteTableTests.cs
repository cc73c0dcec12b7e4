using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Tests.Routing;

/// <summary>Envoy's virtual host selection: exact domain, then longest suffix wildcard, then prefix wildcard, then *.</summary>
public sealed class RouteTableTests
{
    private static RouteTable Table(params (string Name, string[] Domains)[] hosts) => new(new RouteTableConfig
    {
        Name = "80",
        VirtualHosts = [.. hosts.Select(h => new VirtualHostConfig { Name = h.Name, Domains = [.. h.Domains], Routes = [] })],
    }, _ => null);

    [Theory]
    [InlineData("reviews:9080", "exact")]
    [InlineData("REVIEWS:9080", "exact")]
    [InlineData("api.foo.example.com", "long-suffix")]
    [InlineData("www.example.com", "short-suffix")]
    [InlineData("foo.internal", "prefix")]
    [InlineData("anything", "catch-all")]
    public void Picks_the_most_specific_domain(string authority, string expected)
    {
        var table = Table(
            ("catch-all", ["*"]),
            ("short-suffix", ["*.example.com"]),
            ("long-suffix", ["*.foo.example.com"]),
            ("prefix", ["foo.*"]),
            ("exact", ["reviews:9080"]));

        Assert.Equal(expected, table.Match(authority)!.Name);
    }

    [Fact]
    public void Without_a_catch_all_an_unknown_domain_has_no_virtual_host()
    {
        var table = Table(("exact", ["reviews:9080"]));

        Assert.Null(table.Match("ratings:9080"));
        Assert.Null(table.FindDomain("ratings:9080"));
    }
}
