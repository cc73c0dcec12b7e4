using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Sidecar.Proxy.Security.Authorization.ExtAuthzGrpc;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// An ext_authz gRPC service (<c>envoy.service.auth.v3.Authorization</c>) over plaintext HTTP/2, after Istio's sample:
/// allows requests carrying <c>x-ext-authz: allow</c> (setting and removing request headers, adding a response header),
/// denies the others with 401, a header and a body. Records every check.
/// </summary>
internal sealed class GrpcExtAuthzServer : IAsyncDisposable
{
    private WebApplication _app = null!;

    public ConcurrentQueue<CheckRequest> Checks { get; } = new();

    public int Port { get; private set; }

    /// <summary>Whether TCP connection checks (no HTTP attributes) are allowed.</summary>
    public bool AllowConnections { get; set; }

    public static async Task<GrpcExtAuthzServer> StartAsync()
    {
        var server = new GrpcExtAuthzServer();
        (server._app, var address) = await Infrastructure.GrpcTestHost.StartAsync<Service, GrpcExtAuthzServer>(server);
        server.Port = address.Port;
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static HeaderValueOption Header(string key, string value) => new() { Header = new HeaderValue { Key = key, Value = value } };

    private sealed class Service(GrpcExtAuthzServer server) : Sidecar.Proxy.Security.Authorization.ExtAuthzGrpc.Authorization.AuthorizationBase
    {
        public override Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
        {
            server.Checks.Enqueue(request);
            if (request.Attributes.Request is null)
            {
                // A TCP connection (Envoy's network ext_authz): only the peers are known.
                var code = server.AllowConnections ? StatusCode.OK : StatusCode.PermissionDenied;
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
