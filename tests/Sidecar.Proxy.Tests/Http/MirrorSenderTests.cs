using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

public sealed class MirrorSenderTests
{
    // Envoy appends -shadow to the host part of the authority of shadowed requests.
    [Theory]
    [InlineData("reviews:9080", "reviews-shadow:9080")]
    [InlineData("reviews", "reviews-shadow")]
    [InlineData("[::1]:8080", "[::1]-shadow:8080")]
    public void Shadow_authority(string authority, string expected) =>
        Assert.Equal(expected, MirrorSender.ShadowAuthority(authority));
}
