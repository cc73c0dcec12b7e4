using Sidecar.LoadHarness.Cli;

namespace Sidecar.LoadHarness.Tests.Cli;

public sealed class HeaderParserTests
{
    [Theory]
    [InlineData("Host: reviews:9080", "Host", "reviews:9080")]
    [InlineData("end-user:jason", "end-user", "jason")]
    [InlineData("x-empty:", "x-empty", "")]
    public void Splits_name_and_value_at_the_first_colon(string text, string name, string value)
    {
        Assert.True(HeaderParser.TryParse(text, out var header));
        Assert.Equal(name, header.Key);
        Assert.Equal(value, header.Value);
    }

    [Theory]
    [InlineData("no colon")]
    [InlineData(": value")]
    [InlineData("two words: value")]
    public void Rejects_malformed_headers(string text)
    {
        Assert.False(HeaderParser.TryParse(text, out _));
    }
}
