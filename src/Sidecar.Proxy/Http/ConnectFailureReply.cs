using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The body of Envoy's 503 UF reply, worded as Envoy words it: the reset reason (<c>remote connection failure</c>
/// with the socket's errno as the transport failure reason, <c>connection failure</c> with BoringSSL's error as Envoy
/// prints it when the TLS handshake failed, or <c>connection timeout</c> when the connect timeout expired), after
/// "retried and the latest" when retries were made.
/// </summary>
internal static class ConnectFailureReply
{
    private const string Prefix = "upstream connect error or disconnect/reset before headers. ";
    private static readonly ConcurrentDictionary<(string Reason, bool Retried), byte[]> Bodies = new();

    public static byte[] Body(HttpContext context, bool retried)
    {
        var (reset, transport) = Classify(context);
        var reason = transport is null ? reset : $"{reset}, transport failure reason: {transport}";
        return Bodies.GetOrAdd((reason, retried), static key =>
            Encoding.ASCII.GetBytes(Prefix + (key.Retried ? "retried and the latest reset reason: " : "reset reason: ") + key.Reason));
    }

    /// <summary>
    /// Envoy's %RESPONSE_CODE_DETAILS% for the failure: <c>upstream_reset_before_response_started{reset|transport}</c>,
    /// spaces made underscores as Envoy sanitizes details.
    /// </summary>
    public static string Details(HttpContext context)
    {
        var (reset, transport) = Classify(context);
        var inner = transport is null ? reset : $"{reset}|{transport}";
        return $"upstream_reset_before_response_started{{{inner.Replace(' ', '_')}}}";
    }

    /// <summary>Envoy's %UPSTREAM_TRANSPORT_FAILURE_REASON% (sanitized like the details); null when there is none.</summary>
    public static string? TransportFailureReason(HttpContext context) => Classify(context).Transport?.Replace(' ', '_');

    /// <summary>The same for a connect that failed with <paramref name="exception"/> (tcp_proxy's connection pool failure).</summary>
    public static string? TransportFailureReason(Exception exception) => Classify(exception).Transport?.Replace(' ', '_');

    private static (string Reset, string? Transport) Classify(HttpContext context) => Classify(context.Features.Fetch<IForwarderErrorFeature>()?.Exception);

    /// <summary>The reset reason and, for a refused or unreachable connect, the transport failure reason.</summary>
    private static (string Reset, string? Transport) Classify(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case TimeoutException:
                    return ("connection timeout", null);
                case Security.UpstreamTlsException tls:
                    // Envoy closes a connection whose handshake failed as a local "connection failure".
                    return ("connection failure", tls.TransportFailureReason);
                case SocketException socket when Errno(socket.SocketErrorCode) is { } errno:
                    return ("remote connection failure", $"delayed connect error: {errno}");
            }
        }

        return ("remote connection failure", null);
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
