using System.Net.Sockets;
using Sidecar.LoadHarness.Recording;

namespace Sidecar.LoadHarness.Tests.Recording;

public sealed class ErrorClassifierTests
{
    public static TheoryData<Exception, ErrorKind> Exceptions => new()
    {
        { new HttpRequestException(HttpRequestError.ConnectionError, "refused"), ErrorKind.Connect },
        { new HttpRequestException(HttpRequestError.NameResolutionError, "no such host"), ErrorKind.Connect },
        { new HttpRequestException(HttpRequestError.ResponseEnded, "ended"), ErrorKind.Reset },
        { new HttpRequestException(HttpRequestError.InvalidResponse, "garbage"), ErrorKind.Protocol },
        { new HttpRequestException(HttpRequestError.HttpProtocolError, "h2 error"), ErrorKind.Protocol },
        { new HttpRequestException("wrapped", new SocketException((int)SocketError.ConnectionRefused)), ErrorKind.Connect },
        { new HttpRequestException("wrapped", new IOException("reset")), ErrorKind.Reset },
        { new IOException("connection reset by peer"), ErrorKind.Reset },
        { new InvalidOperationException("?"), ErrorKind.Other },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void Maps_http_client_failures_to_kinds(Exception exception, ErrorKind expected)
    {
        Assert.Equal(expected, ErrorClassifier.Classify(exception));
    }
}
