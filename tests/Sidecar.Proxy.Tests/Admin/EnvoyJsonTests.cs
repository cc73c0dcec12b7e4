using Sidecar.Model;
using Sidecar.Proxy.Admin.EnvoyDump;

namespace Sidecar.Proxy.Tests.Admin;

/// <summary>The proto3 JSON pieces of the Envoy config dump: durations as protojson prints them, retry conditions by Envoy's names.</summary>
public sealed class EnvoyJsonTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(10_000, "10s")]
    [InlineData(500, "0.500s")]
    [InlineData(25, "0.025s")]
    [InlineData(3_600_000, "3600s")]
    [InlineData(1_250, "1.250s")]
    public void Durations_have_0_3_6_or_9_fractional_digits_as_protojson_writes_them(int milliseconds, string expected) =>
        Assert.Equal(expected, EnvoyJson.Duration(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Sub_millisecond_durations_keep_micro_or_nanosecond_precision()
    {
        Assert.Equal("0.000250s", EnvoyJson.Duration(TimeSpan.FromMicroseconds(250)));
        Assert.Equal("0.000000100s", EnvoyJson.Duration(TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void Retry_conditions_format_back_to_Envoys_names_and_parse_again()
    {
        var conditions = RetryOn.ConnectFailure | RetryOn.RefusedStream | RetryOn.RetriableStatusCodes | RetryOn.GrpcUnavailable | RetryOn.GrpcCancelled;
        var text = RetryOnNames.Format(conditions);

        Assert.Equal("connect-failure,refused-stream,retriable-status-codes,cancelled,unavailable", text);
        Assert.Equal(conditions, RetryOnNames.ParseList(text));
    }
}
