using System.Text;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

/// <summary>grpc-message on local replies: gRPC's percent-encoding as Envoy's PercentEncoding::encode writes it.</summary>
public sealed class LocalReplyGrpcMessageTests
{
    [Theory]
    [InlineData("no healthy upstream", "no healthy upstream")]
    [InlineData("100% sure", "100%25 sure")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("café", "caf%C3%A9")]
    public void Printable_ascii_other_than_percent_stays_as_it_is(string message, string encoded) =>
        Assert.Equal(encoded, LocalReply.PercentEncodeGrpcMessage(Encoding.UTF8.GetBytes(message)));
}
