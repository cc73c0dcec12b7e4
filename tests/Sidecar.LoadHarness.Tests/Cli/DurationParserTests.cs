using Sidecar.LoadHarness.Cli;

namespace Sidecar.LoadHarness.Tests.Cli;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("30", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData(" 10s ", 10_000)]
    public void Parses_load_tool_durations(string text, double milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("10x")]
    [InlineData("-5s")]
    [InlineData("ten")]
    [InlineData(null)]
    public void Rejects_what_is_not_a_duration(string? text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }
}
