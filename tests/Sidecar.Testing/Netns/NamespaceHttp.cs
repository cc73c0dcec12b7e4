using System.Net;
using System.Net.Sockets;

namespace Sidecar.Testing.Netns;

/// <summary>HTTP clients whose connections are opened inside a network namespace (the pod's application, as root).</summary>
public static class NamespaceHttp
{
    /// <summary>A handler that dials from <paramref name="ns"/>; no system proxy.</summary>
    public static SocketsHttpHandler CreateHandler(NetworkNamespace ns) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var address = IPAddress.Parse(context.DnsEndPoint.Host);
            var socket = await ns.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    public static HttpClient CreateClient(NetworkNamespace ns, TimeSpan? timeout = null) =>
        new(CreateHandler(ns)) { Timeout = timeout ?? TimeSpan.FromSeconds(30) };
}
