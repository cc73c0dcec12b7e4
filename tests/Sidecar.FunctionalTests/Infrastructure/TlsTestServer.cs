using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>An HTTPS server on a free port of <paramref name="address"/> that answers <c>secure</c>, with the certificate a
/// callback picks for each ClientHello (by its SNI, say), for the egress TLS origination tests.</summary>
internal static class TlsTestServer
{
    public static async Task<(WebApplication Server, int Port)> StartAsync(IPAddress address, Func<SslClientHelloInfo, X509Certificate2> certificateFor)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, 0, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = hello => ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificate = certificateFor(hello.ClientHelloInfo) }),
        })));
        var server = builder.Build();
        server.Run(context => context.Response.WriteAsync("secure"));
        await server.StartAsync();
        return (server, new Uri(server.Urls.Single()).Port);
    }
}
