using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sidecar.Testing.Netns;

/// <summary>
/// Applications running inside a pod's network namespace, in this process: their listening sockets are created in
/// the namespace, so they are reached on the pod's address like a real container's.
/// </summary>
public static class PodApps
{
    /// <summary>A listening socket on 0.0.0.0:<paramref name="port"/> inside <paramref name="ns"/>.</summary>
    public static Socket Listen(NetworkNamespace ns, int port)
    {
        var socket = ns.CreateTcpSocket();
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Any, port));
        socket.Listen(128);
        return socket;
    }

    /// <summary>
    /// An HTTP app: answers with its name (and <c>x-app</c>), echoes WebSocket messages on <c>/ws</c>, and with
    /// HTTP/2 streams gRPC-style bodies back chunk by chunk on <c>/stream</c>.
    /// </summary>
    public static Task<TestBackend> StartHttpAsync(NetworkNamespace ns, string name, int port, HttpProtocols protocols = HttpProtocols.Http1) =>
        TestBackend.StartAsync(name, (context, _) => HandleAsync(context, name), listenSocket: Listen(ns, port), protocols: protocols, bufferBody: false);

    private static async Task HandleAsync(HttpContext context, string name)
    {
        context.Response.Headers["x-app"] = name;
        if (context.WebSockets.IsWebSocketRequest)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var message = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (message.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                var reply = Encoding.UTF8.GetBytes($"{name}: {Encoding.UTF8.GetString(buffer, 0, message.Count)}");
                await socket.SendAsync(reply, System.Net.WebSockets.WebSocketMessageType.Text, true, context.RequestAborted);
            }
        }

        if (context.Request.Path == "/stream")
        {
            // gRPC-style: echo each chunk as it arrives, flushing, so the caller sees replies before it finishes sending.
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync();
            var buffer = new byte[4096];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            context.Response.AppendTrailer("grpc-status", "0");
            return;
        }

        await context.Response.WriteAsync(name);
    }

    /// <summary>A TCP echo server: echoes until the client's FIN, then half-closes its side after a goodbye line.</summary>
    public static TcpApp StartTcpEcho(NetworkNamespace ns, int port, string name) =>
        new(Listen(ns, port), async stream =>
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes($"\nbye from {name}\n"));
        });

    /// <summary>A server-first protocol (as MySQL's greeting): speaks first, then echoes lines until the client's FIN.</summary>
    public static TcpApp StartGreeter(NetworkNamespace ns, int port, string name) =>
        new(Listen(ns, port), async stream =>
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"greeting from {name}\n"));
            var buffer = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }
        });

    /// <summary>A TLS server with a throwaway self-signed certificate: greets with its name and the SNI it was asked for.</summary>
    public static TcpApp StartTls(NetworkNamespace ns, int port, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        return new TcpApp(Listen(ns, port), async stream =>
        {
            using var tls = new SslStream(stream);
            string? sni = null;
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateSelectionCallback = (_, hostName) =>
                {
                    sni = hostName;
                    return certificate;
                },
            });
            await tls.WriteAsync(Encoding.UTF8.GetBytes($"{name} sni={sni}\n"));
            await tls.FlushAsync();
        });
    }
}

/// <summary>An accept loop over a listening socket, one handler per connection; stops on dispose.</summary>
public sealed class TcpApp : IDisposable
{
    private readonly Socket _listener;

    public TcpApp(Socket listener, Func<NetworkStream, Task> handle)
    {
        _listener = listener;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await _listener.AcceptAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using var stream = new NetworkStream(connection, ownsSocket: true);
                    try
                    {
                        await handle(stream);
                        connection.Shutdown(SocketShutdown.Send);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                    {
                    }
                });
            }
        });
    }

    public void Dispose() => _listener.Dispose();
}
