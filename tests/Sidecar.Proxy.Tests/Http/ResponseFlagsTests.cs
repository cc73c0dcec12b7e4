using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

public sealed class ResponseFlagsTests
{
    // Envoy prints several flags comma-joined in its own order (e.g. "UF,URX"), and "-" for none.
    [Fact]
    public void Flags_print_as_envoy_prints_them()
    {
        Assert.Equal("-", ResponseFlags.None.ToShortString());
        Assert.Equal("FI", ResponseFlags.FaultInjected.ToShortString());
        Assert.Equal("UF,URX", (ResponseFlags.UpstreamConnectionFailure | ResponseFlags.UpstreamRetryLimitExceeded).ToShortString());
        Assert.Equal("UT,URX", (ResponseFlags.UpstreamRequestTimeout | ResponseFlags.UpstreamRetryLimitExceeded).ToShortString());
        Assert.Equal("DI,FI", (ResponseFlags.DelayInjected | ResponseFlags.FaultInjected).ToShortString());
        Assert.Equal("NR", ResponseFlags.NoRouteFound.ToShortString());
    }

    [Theory]
    [InlineData(503, 14)]
    [InlineData(504, 14)]
    [InlineData(404, 12)]
    [InlineData(403, 7)]
    [InlineData(401, 16)]
    [InlineData(400, 13)]
    [InlineData(500, 2)]
    public void Http_status_maps_to_grpc_status_as_envoy_maps_it(int http, int grpc) =>
        Assert.Equal(grpc, LocalReply.GrpcStatusFromHttp(http));
}
