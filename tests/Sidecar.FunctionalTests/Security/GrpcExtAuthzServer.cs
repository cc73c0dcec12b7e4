using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sidecar.Proxy.Security.Authorization.ExtAuthzGrpc;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// An ext_authz gRPC service (<c>envoy.service.auth.v3.Authorization</c>) over plaintext HTTP/2, after Istio's sample:
/// allows requests carrying <c>x-ext-authz: allow</c> (setting and removing request headers, adding a response header),
/// denies the others with 401, a header and a body. Records every check.
/// </summary>
internal sealed class GrpcExtAuthzServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcExtAuthzServer(WebApplication app) => _app = app;

    public ConcurrentQueue<CheckRequest> Checks { get; } = new();

    public int Port { get; private set; }

    /// <summary>Whether TCP connection checks (no HTTP attributes) are allowed.</summary>
    public bool AllowConnections { get; set; }

    public static async Task<GrpcExtAuthzServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<Holder>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var server = new GrpcExtAuthzServer(app);
        app.Services.GetRequiredService<Holder>().Server = server;
        app.MapGrpcService<Service>();
        await app.StartAsync();
        server.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static HeaderValueOption Header(string key, string value) => new() { Header = new HeaderValue { Key = key, Value = value } };

    private sealed class Holder
    {
        public GrpcExtAuthzServer Server { get; set; } = null!;
    }

    private sealed class Service(Holder holder) : Sidecar.Proxy.Security.Authorization.ExtAuthzGrpc.Authorization.AuthorizationBase
    {
        public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
        {
            holder.Server.Checks.Enqueue(request);
            if (request.Attributes.Request is null)
            {
                // A TCP connection (Envoy's network ext_authz): only the peers are known.
                var code = holder.Server.AllowConnections ? StatusCode.OK : StatusCode.PermissionDenied;
                return Task.FromResult(new CheckResponse { Status = new RpcStatus { Code = (int)code } });
            }

            if (request.Attributes.Request.Http.Headers.TryGetValue("x-ext-authz", out var verdict) && verdict == "allow")
            {
                return Task.FromResult(new CheckResponse
                {
                    Status = new RpcStatus { Code = 0 },
                    OkResponse = new OkHttpResponse
                    {
                        Headers = { Header("x-ext-authz-check-result", "allowed") },
                        HeadersToRemove = { "x-remove-me" },
                        ResponseHeadersToAdd = { Header("x-checked", "yes") },
                    },
                });
            }

            return Task.FromResult(new CheckResponse
            {
                Status = new RpcStatus { Code = (int)StatusCode.PermissionDenied },
                DeniedResponse = new DeniedHttpResponse
                {
                    Status = new HttpStatus { Code = 401 },
                    Headers = { Header("x-ext-authz-check-result", "denied") },
                    Body = "denied by grpc ext_authz",
                },
            });
        }
    }
}
