using System.Text.RegularExpressions;
using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Tests.Routing;

/// <summary>Envoy's safe_regex (route.v3.RouteMatch.safe_regex, HeaderMatcher.string_match.safe_regex): a full match.</summary>
public class FullMatchRegexTests
{
    [Theory]
    [InlineData("^/admin/.*", "/admin/")]
    [InlineData("/admin/.*", "/admin/")]
    [InlineData("/api/v[0-9]+/.*", "/api/v")]
    [InlineData(@"\/api\.v1/.*", "/api.v1/")]
    [InlineData("/ab*c", "/a")]
    [InlineData("/ab+c", "/a")]
    [InlineData("/ab?", "/a")]
    [InlineData("/ab{2}", "/a")]
    [InlineData(@"/a\d+", "/a")]
    [InlineData("/x/(a|b)", "/x/")]
    [InlineData("/reviews/[0-9]+", "/reviews/")]
    [InlineData("/a|/b", "")]
    [InlineData("(/a|/b)/c", "")]
    [InlineData("/a[](]|/b", "")]
    [InlineData("/a[^]|]x|/b", "")]
    [InlineData("(?i)/admin", "")]
    [InlineData(".*", "")]
    [InlineData("/exact", "/exact")]
    public void The_required_prefix_is_the_leading_literal_that_every_match_has(string pattern, string prefix) =>
        Assert.Equal(prefix, FullMatchRegex.LiteralPrefix(pattern));

    [Fact]
    public void An_ignore_case_regex_takes_no_shortcut_because_regex_case_folding_is_wider_than_ordinal() =>
        Assert.Equal("", new FullMatchRegex("/k/.*", ignoreCase: true).RequiredPrefix);

    public static TheoryData<string, bool> Patterns => new()
    {
        { "^/admin/.*", false },
        { "/api/v[0-9]+/.*", false },
        { @"\/api\.v1/.*", false },
        { "/ab*c", false },
        { "/ab?", false },
        { "/ab{2}", false },
        { "/x/(a|b)", false },
        { "/a|/b", false },
        { "(/a|/b)/c", false },
        { "/a[](]|/b", false },
        { "/a[^]|]x|/b", false },
        { "/k/.*", true },
        { "/Admin/.*", true },
        { "(?i)/admin", false },
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Matching_agrees_with_the_regex_engine_alone(string pattern, bool ignoreCase)
    {
        string[] inputs =
        [
            "", "/", "/a", "/b", "/ac", "/abc", "/abbbc", "/ab", "/abb", "/a/c", "/b/c", "/x/a", "/x/b", "/x/c", "/a(", "/a]x",
            "/admin/", "/admin/users", "/ADMIN/users", "/Admin/x", "/admin", "/api/v1/x", "/api/v/x", "/api.v1/x", "/apixv1/x",
            "/k/x", "/K/x", "/\u212A/x", "/admin/x\n", "/b\n",
        ];
        var options = ProxyConfigValidator.Re2Options | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        var reference = new Regex($"^(?:{pattern})$", options);
        var matcher = new FullMatchRegex(pattern, ignoreCase);
        foreach (var input in inputs)
        {
            Assert.True(reference.IsMatch(input) == matcher.IsMatch(input), $"{pattern} on '{input}'");
        }
    }

    [Theory]
    [InlineData("/[[:alpha:]]+", "/abc", true)]
    [InlineData("/[[:alpha:]]+", "/abc1", false)]
    [InlineData("/api/(?P<ver>v[0-9]+)/.*", "/api/v2/items", true)]
    [InlineData(@"/\d+", "/42", true)]
    [InlineData(@"/\d+", "/\u0664\u0662", false)]
    [InlineData(@"\Q/a.b\E", "/a.b", true)]
    [InlineData(@"\Q/a.b\E", "/axb", false)]
    public void Route_regexes_match_as_RE2_means_them(string pattern, string input, bool matches)
    {
        // RE2 syntax (Envoy's safe_regex): POSIX classes, (?P<name>...), \Q...\E, and an ASCII-only \d.
        Assert.Equal(matches, new FullMatchRegex(pattern).IsMatch(input));
    }
}
