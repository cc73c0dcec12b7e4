using Sidecar.Istio.Naming;

namespace Sidecar.Istio.Tests.Naming;

public sealed class HostNamesTests
{
    [Theory]
    [InlineData("reviews", "default", "reviews.default.svc.cluster.local")]
    [InlineData("Reviews", "prod", "reviews.prod.svc.cluster.local")]
    [InlineData("reviews.default", "prod", "reviews.default")] // names with dots stay as written (ResolveShortnameToFQDN)
    [InlineData("*.example.com", "default", "*.example.com")]
    [InlineData("*", "default", "*")]
    [InlineData("10.0.0.1", "default", "10.0.0.1")]
    public void Resolves_short_names_against_the_namespace(string host, string ns, string expected) =>
        Assert.Equal(expected, HostNames.Resolve(host, ns));

    [Theory]
    [InlineData("reviews.default.svc.cluster.local", "*.default.svc.cluster.local", true)]
    [InlineData("reviews.default.svc.cluster.local", "*", true)]
    [InlineData("*.example.com", "*.com", true)]
    [InlineData("api.example.com", "*.example.org", false)]
    [InlineData("a.example.com", "a.example.com", true)]
    public void Matches_wildcards_both_ways(string a, string b, bool expected)
    {
        Assert.Equal(expected, HostNames.Matches(a, b));
        Assert.Equal(expected, HostNames.Matches(b, a));
    }

    [Fact]
    public void SubsetOf_is_directional()
    {
        Assert.True(HostNames.SubsetOf("*.bar.example.com", "*.example.com"));
        Assert.False(HostNames.SubsetOf("*.example.com", "*.bar.example.com"));
        Assert.False(HostNames.SubsetOf("*.example.com", "api.example.com"));
    }

    [Theory]
    [InlineData("reviews.default.svc.cluster.local", null)]
    [InlineData("*.example.com", null)]
    [InlineData("foo.*.com", "label \"*\" invalid")]
    [InlineData("-bad.com", "invalid")]
    [InlineData("example.123", "cannot be all-numeric")]
    [InlineData("", "empty domain name")]
    public void Validates_wildcard_domains_as_Istio(string domain, string? error)
    {
        var result = HostNames.ValidateWildcardDomain(domain);
        if (error is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(error, result);
        }
    }

    [Fact]
    public void Short_name_is_the_service_name_for_kubernetes_hosts_only()
    {
        Assert.Equal("reviews", HostNames.ShortName("reviews.default.svc.cluster.local"));
        Assert.Equal("api.example.com", HostNames.ShortName("api.example.com"));
    }
}
