using System.Net.Http;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>Maps a forwarder result to Envoy's vocabulary: which failure it was, and whether the client went away.</summary>
internal static class UpstreamOutcome
{
    /// <summary>Classifies an attempt that produced no usable response.</summary>
    public static UpstreamFailure Classify(ForwarderError error, HttpContext context, RequestState state)
    {
        if (state.AttemptTimedOut)
        {
            return UpstreamFailure.PerTryTimeout;
        }

        var exception = context.Features.Fetch<IForwarderErrorFeature>()?.Exception;
        return error switch
        {
            ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.RequestCreation => ClassifyException(exception),
            ForwarderError.RequestBodyDestination => UpstreamFailure.Reset,
            // A response Kestrel cannot send on (a control character in a header value): Envoy's codec refuses such
            // a response as a protocol error, 502 UPE.
            ForwarderError.ResponseHeaders => UpstreamFailure.ProtocolError,
            _ => UpstreamFailure.Reset,
        };
    }

    /// <summary>
    /// True when the failure came from the client side (aborted request, broken request body). An upstream that broke
    /// off its response body is the upstream's failure (UC), although YARP then aborts the client connection too.
    /// </summary>
    public static bool IsDownstreamFailure(ForwarderError error, HttpContext context) =>
        (context.RequestAborted.IsCancellationRequested && error is not (ForwarderError.ResponseBodyDestination or ForwarderError.UpgradeResponseDestination))
        || error is ForwarderError.RequestBodyClient or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient;

    private static UpstreamFailure ClassifyException(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }:
                    return UpstreamFailure.ConnectFailure;
                case HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ConfigurationLimitExceeded }:
                    return UpstreamFailure.ProtocolError;
                case HttpProtocolException { ErrorCode: 0x7 }:
                    return UpstreamFailure.RefusedStream;
                case HttpProtocolException:
                    return UpstreamFailure.RemoteReset;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut or SocketError.AddressNotAvailable }:
                    return UpstreamFailure.ConnectFailure;
                case TimeoutException:
                    // SocketsHttpHandler's ConnectTimeout surfaces as a cancellation wrapping a TimeoutException.
                    return UpstreamFailure.ConnectFailure;
            }
        }

        return UpstreamFailure.Reset;
    }
}
