using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The body of Envoy's 503 UF reply, worded as Envoy words it: the reset reason (<c>remote connection failure</c>
/// with the socket's errno as the transport failure reason, or <c>connection timeout</c> when the connect timeout
/// expired), after "retried and the latest" when retries were made.
/// </summary>
internal static class ConnectFailureReply
{
    private const string Prefix = "upstream connect error or disconnect/reset before headers. ";
    private static readonly ConcurrentDictionary<(string Reason, bool Retried), byte[]> Bodies = new();

    public static byte[] Body(HttpContext context, bool retried)
    {
        var reason = Reason(context.Features.Fetch<IForwarderErrorFeature>()?.Exception);
        return Bodies.GetOrAdd((reason, retried), static key =>
            Encoding.ASCII.GetBytes(Prefix + (key.Retried ? "retried and the latest reset reason: " : "reset reason: ") + key.Reason));
    }

    private static string Reason(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case TimeoutException:
                    return "connection timeout";
                case SocketException socket when Errno(socket.SocketErrorCode) is { } errno:
                    return $"remote connection failure, transport failure reason: delayed connect error: {errno}";
            }
        }

        return "remote connection failure";
    }

    /// <summary>Linux errno values, which Envoy prints for a failed non-blocking connect.</summary>
    private static int? Errno(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => 111,
        SocketError.HostUnreachable => 113,
        SocketError.NetworkUnreachable => 101,
        SocketError.TimedOut => 110,
        SocketError.AddressNotAvailable => 99,
        _ => null,
    };
}
