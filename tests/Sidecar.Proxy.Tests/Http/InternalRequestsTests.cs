using Microsoft.Extensions.Primitives;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

/// <summary>Envoy's internal request test: x-forwarded-for holds one address, and it is internal.</summary>
public sealed class InternalRequestsTests
{
    [Theory]
    [InlineData("10.244.0.7", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.254", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("127.0.0.6", true)]
    [InlineData(" 10.0.0.1 ", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("203.0.113.7", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("10.0.0.1, 10.0.0.2", false)]
    [InlineData("not-an-address", false)]
    public void A_single_internal_address_makes_the_request_internal(string forwardedFor, bool internalRequest) =>
        Assert.Equal(internalRequest, InternalRequests.IsInternal(new StringValues(forwardedFor)));

    [Fact]
    public void Without_x_forwarded_for_or_with_two_of_them_the_request_is_not_internal()
    {
        Assert.False(InternalRequests.IsInternal(StringValues.Empty));
        Assert.False(InternalRequests.IsInternal(new StringValues(["10.0.0.1", "10.0.0.2"])));
    }

    [Theory]
    [InlineData("x-envoy-retry-on", true)]
    [InlineData("X-Envoy-Upstream-Rq-Timeout-Ms", true)]
    [InlineData("x-envoy-expected-rq-timeout-ms", true)]
    [InlineData("x-envoy-force-trace", true)]
    [InlineData("x-envoy-attempt-count", false)] // the router replaces it instead
    [InlineData("x-envoy-peer-metadata", false)]
    public void The_headers_only_an_internal_caller_may_send_are_Envoys_list(string name, bool internalOnly) =>
        Assert.Equal(internalOnly, InternalRequests.IsInternalOnly(name));
}
