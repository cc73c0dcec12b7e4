using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

/// <summary>
/// Which requests are gRPC (their local replies are gRPC-shaped, their metrics say grpc): Envoy's
/// <c>Grpc::Common::hasGrpcContentType</c>, under which gRPC-Web is not gRPC, and gRPC-Web's four content types,
/// which only a <c>grpc_web</c> connection manager turns into gRPC.
/// </summary>
public sealed class GrpcRequestDetectionTests
{
    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc;charset=utf-8", true)]
    [InlineData("Application/GRPC", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpc-web-text+proto", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    public void A_request_is_gRPC_by_Envoys_content_type_rule(string contentType, bool grpc) =>
        Assert.Equal(grpc, LocalReply.IsGrpc(new DefaultHttpContext { Request = { ContentType = contentType } }.Request));

    [Theory]
    [InlineData("application/grpc-web", "Binary")]
    [InlineData("application/grpc-web+proto", "Binary")]
    [InlineData("application/grpc-web-text", "Text")]
    [InlineData("application/grpc-web-text+proto", "Text")]
    [InlineData("application/grpc-web+json", "None")] // Envoy's filter takes the proto encodings only
    [InlineData("application/grpc", "None")]
    public void GrpcWeb_takes_the_four_content_types_Envoys_filter_takes(string contentType, string mode) =>
        Assert.Equal(Enum.Parse<GrpcWebMode>(mode), GrpcWeb.ModeOf(new DefaultHttpContext { Request = { ContentType = contentType } }.Request));
}
