using Sidecar.Istio.Resources;

namespace Sidecar.Istio.Tests.Resources;

public sealed class IstioDurationTests
{
    [Theory]
    [InlineData("1s", 1_000)]
    [InlineData("0.5s", 500)]
    [InlineData("100ms", 100)]
    [InlineData("3m", 180_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2m3.5s", 123_500)]
    [InlineData("0", 0)]
    [InlineData("7s", 7_000)]
    public void Parses_Go_duration_syntax(string text, long milliseconds)
    {
        Assert.True(IstioDuration.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration.ToTimeSpan());
    }

    [Fact]
    public void Keeps_nanoseconds_so_the_ms_precision_rule_can_be_checked()
    {
        Assert.True(IstioDuration.TryParse("1500us", out var micro, out _));
        Assert.Equal(1_500_000, micro.Nanoseconds);
        Assert.True(micro.IsWholeMilliseconds == false);
        Assert.True(IstioDuration.TryParse("250ns", out var nanos, out _));
        Assert.Equal(250, nanos.Nanoseconds);
        Assert.True(IstioDuration.TryParse("-1s", out var negative, out _));
        Assert.Equal(-1_000_000_000, negative.Nanoseconds);
    }

    [Theory]
    [InlineData("1", "missing unit")]
    [InlineData("10 seconds", "unknown unit")]
    [InlineData("abc", "expected a number")]
    [InlineData("", "empty duration")]
    [InlineData("1d", "unknown unit 'd'")]
    public void Refuses_what_Go_refuses(string text, string message)
    {
        Assert.False(IstioDuration.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("1h30m", "1h30m0s")]
    [InlineData("100ms", "100ms")]
    [InlineData("90s", "1m30s")]
    [InlineData("0", "0s")]
    public void Formats_as_Go_does(string text, string formatted)
    {
        Assert.True(IstioDuration.TryParse(text, out var duration, out _));
        Assert.Equal(formatted, duration.ToString());
    }
}
