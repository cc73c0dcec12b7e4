using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Tests.Routing;

public sealed class StringMatcherTests
{
    [Theory]
    [InlineData(StringMatchKind.Exact, "jason", false, "jason", true)]
    [InlineData(StringMatchKind.Exact, "jason", false, "Jason", false)]
    [InlineData(StringMatchKind.Exact, "jason", true, "JASON", true)]
    [InlineData(StringMatchKind.Prefix, "beta-", false, "beta-1", true)]
    [InlineData(StringMatchKind.Suffix, ".svc", false, "a.svc", true)]
    [InlineData(StringMatchKind.Contains, "mid", false, "amidst", true)]
    // safe_regex is a full match (RE2 semantics), not a search.
    [InlineData(StringMatchKind.Regex, "[0-9]{3}", false, "123", true)]
    [InlineData(StringMatchKind.Regex, "[0-9]{3}", false, "1234", false)]
    [InlineData(StringMatchKind.Regex, "v[12]", false, "xv1", false)]
    public void Matches_as_envoy_string_matcher(StringMatchKind kind, string value, bool ignoreCase, string input, bool expected) =>
        Assert.Equal(expected, new StringMatcher(new StringMatcherConfig(kind, value, ignoreCase)).IsMatch(input));

    [Fact]
    public void Re2_refuses_backreferences() =>
        Assert.NotNull(ProxyConfigValidator.CheckRegex("(a)\\1"));
}
