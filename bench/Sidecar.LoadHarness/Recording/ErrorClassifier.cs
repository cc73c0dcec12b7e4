using System.Net.Sockets;

namespace Sidecar.LoadHarness.Recording;

/// <summary>Maps the exceptions HttpClient throws to an <see cref="ErrorKind"/>.</summary>
internal static class ErrorClassifier
{
    public static ErrorKind Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError }
                => ErrorKind.Connect,
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }
                => ErrorKind.Reset,
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.VersionNegotiationError }
                => ErrorKind.Protocol,
            HttpRequestException { InnerException: { } inner } => ClassifyInner(inner),
            HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } => ErrorKind.Reset,
            HttpIOException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError } => ErrorKind.Protocol,
            IOException or SocketException => ErrorKind.Reset,
            _ => ErrorKind.Other,
        };
    }

    private static ErrorKind ClassifyInner(Exception inner) => inner switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound }
            => ErrorKind.Connect,
        IOException or SocketException => ErrorKind.Reset,
        _ => ErrorKind.Other,
    };
}
