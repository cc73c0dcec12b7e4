using System.Net;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Security.Authorization.ExtAuthzGrpc;
using Sidecar.Proxy.Upstream;
using AuthorizationService = Sidecar.Proxy.Security.Authorization.ExtAuthzGrpc.Authorization;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// Envoy's ext_authz filter with a gRPC authorization service (Istio's <c>envoyExtAuthzGrpc</c>, OPA's Envoy plugin):
/// <c>envoy.service.auth.v3.Authorization/Check</c> with the request's attributes (source and destination addresses,
/// the peer's principal, method, path, host, scheme, protocol, every header including the pseudo-headers, the body
/// when asked). Status OK allows, applying <c>ok_response</c>'s header changes; any other status denies with
/// <c>denied_response</c> (403 when it names no status). Calls go over HTTP/2 through the service's cluster.
/// </summary>
internal sealed class ExtAuthzGrpcClient : ExtAuthzClient
{
    private AuthorizationService.AuthorizationClient? _client;

    public ExtAuthzGrpcClient(ExtAuthzConfig config, ILogger logger)
        : base(config, logger)
    {
    }

    protected override async Task<ExtAuthzDecision> CheckAsync(HttpContext context, ClusterState cluster, byte[]? body, Random random)
    {
        try
        {
            var response = await Client(cluster, random).CheckAsync(Request(context, body), deadline: DateTime.UtcNow + Config.Timeout, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return Decision(response);
        }
        catch (RpcException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Failed($"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }

    public override async Task<bool> CheckConnectionAsync(IPEndPoint? source, IPEndPoint? destination, string? principal, ClusterState? cluster, Random random)
    {
        if (cluster is null)
        {
            return Failed($"cluster {Config.Cluster} is not known").Allowed;
        }

        var request = new CheckRequest
        {
            Attributes = new AttributeContext
            {
                Source = new AttributeContext.Types.Peer { Address = Address(source), Principal = principal ?? "" },
                Destination = new AttributeContext.Types.Peer { Address = Address(destination) },
            },
        };
        try
        {
            var response = await Client(cluster, random).CheckAsync(request, deadline: DateTime.UtcNow + Config.Timeout).ConfigureAwait(false);
            return response.Status is null || response.Status.Code == (int)StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return Failed($"{ex.StatusCode}: {ex.Status.Detail}").Allowed;
        }
    }

    /// <summary>One channel per snapshot over the cluster's transport.</summary>
    private AuthorizationService.AuthorizationClient Client(ClusterState cluster, Random random) =>
        _client ??= new AuthorizationService.AuthorizationClient(GrpcChannel.ForAddress(
            PlaceholderAuthority,
            new GrpcChannelOptions { HttpHandler = Transport(cluster, random), DisposeHttpClient = false }));

    private static CheckRequest Request(HttpContext context, byte[]? body)
    {
        var request = context.Request;
        var connection = context.Connection;
        var proxyConnection = ProxyConnection.From(context);
        var http = new AttributeContext.Types.HttpRequest
        {
            Id = request.Headers.TryGetValue(Http.ProxyHeaders.RequestId, out var id) ? id.ToString() : "",
            Method = request.Method,
            Path = request.Path.Value + request.QueryString.Value,
            Host = request.Host.Value ?? "",
            Scheme = request.Scheme,
            Protocol = request.Protocol,
            Size = request.ContentLength ?? -1,
        };

        // Envoy's header map as the check sees it: pseudo-headers included, names lower-cased, repeats joined.
        http.Headers[":authority"] = http.Host;
        http.Headers[":method"] = http.Method;
        http.Headers[":path"] = http.Path;
        http.Headers[":scheme"] = http.Scheme;
        foreach (var (name, values) in request.Headers)
        {
            if (!name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                http.Headers[name.ToLowerInvariant()] = values.ToString();
            }
        }

        if (body is { Length: > 0 })
        {
            http.Body = Encoding.UTF8.GetString(body);
        }

        var local = proxyConnection?.OriginalDestination?.Endpoint
            ?? (connection.LocalIpAddress is { } localIp ? new IPEndPoint(localIp, connection.LocalPort) : null);
        return new CheckRequest
        {
            Attributes = new AttributeContext
            {
                Source = new AttributeContext.Types.Peer
                {
                    Address = Address(connection.RemoteIpAddress is { } remote ? new IPEndPoint(remote, connection.RemotePort) : null),
                    Principal = proxyConnection?.PeerPrincipal ?? "",
                },
                Destination = new AttributeContext.Types.Peer { Address = Address(local) },
                Request = new AttributeContext.Types.Request { Time = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow), Http = http },
            },
        };
    }

    private static Address? Address(IPEndPoint? endpoint) =>
        endpoint is null ? null : new Address { SocketAddress = new ExtAuthzGrpc.SocketAddress { Address = endpoint.Address.ToString(), PortValue = (uint)endpoint.Port } };

    private static ExtAuthzDecision Decision(CheckResponse response)
    {
        if (response.Status is null || response.Status.Code == (int)StatusCode.OK)
        {
            var ok = response.OkResponse;
            return ExtAuthzDecision.Allow(Headers(ok?.Headers, append: false), Headers(ok?.ResponseHeadersToAdd, append: null)) with
            {
                UpstreamAppendedHeaders = Headers(ok?.Headers, append: true),
                UpstreamRemovedHeaders = [.. ok?.HeadersToRemove ?? []],
            };
        }

        var denied = response.DeniedResponse;
        var status = denied?.Status?.Code is int code && code >= 100 ? code : StatusCodes.Status403Forbidden;
        return ExtAuthzDecision.Deny(status, Headers(denied?.Headers, append: null), Encoding.UTF8.GetBytes(denied?.Body ?? ""), error: false);
    }

    /// <summary>The headers of a response, those with the given <c>append</c> flag only unless <paramref name="append"/> is null.</summary>
    private static KeyValuePair<string, string>[] Headers(IEnumerable<HeaderValueOption>? options, bool? append)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var option in options ?? [])
        {
            if (option.Header is not { } header || (append is { } wanted && (option.Append ?? false) != wanted))
            {
                continue;
            }

            var value = header.Value.Length > 0 || header.RawValue.IsEmpty ? header.Value : header.RawValue.ToStringUtf8();
            result.Add(new(header.Key, value));
        }

        return [.. result];
    }
}
