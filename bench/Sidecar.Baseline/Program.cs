using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Forwarder;

// bare-yarp LISTEN_IP:PORT DESTINATION_URL
// Forwards every request to one destination with IHttpForwarder and HttpTransformer.Empty: what the sidecar's
// hot path costs on top of YARP is measured against this.
if (args.Length != 2 || !IPEndPoint.TryParse(args[0], out var listen) || !Uri.TryCreate(args[1], UriKind.Absolute, out var destination))
{
    Console.Error.WriteLine("usage: bare-yarp LISTEN_IP:PORT DESTINATION_URL (e.g. bare-yarp 127.0.0.1:8000 http://127.0.0.1:8088)");
    return 2;
}

// The sidecar's socket settings (src/Sidecar/Hosting/RuntimeTuning.cs and its listeners): completions run inline on
// the epoll thread and Kestrel schedules connections inline, so both proxies handle a request without thread hops.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Listen(listen, options => options.Protocols = HttpProtocols.Http1);
});

var app = builder.Build();
var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ActivityHeadersPropagator = null,
    EnableMultipleHttp2Connections = true,
});
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
var prefix = destination.GetLeftPart(UriPartial.Authority);
var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(5) };
app.Run(async context => await forwarder.SendAsync(context, prefix, invoker, config, HttpTransformer.Empty));
await app.RunAsync();
return 0;
