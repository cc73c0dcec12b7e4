using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// Envoy's ext_authz filter with an HTTP authorization service (Istio's <c>envoyExtAuthzHttp</c>): the check request
/// goes through the service's cluster (its balancer, pool and mTLS) with the original method, the path prefix plus the
/// original path, and Host, Authorization, Content-Length and the configured headers (and body, when asked). 200
/// allows; any other answer is relayed to the client; a service that cannot be reached gives <c>statusOnError</c>
/// unless <c>failOpen</c>.
/// </summary>
internal sealed class ExtAuthzHttpClient : ExtAuthzClient
{
    private readonly StringPattern[] _include;
    private readonly StringPattern[] _toUpstream;
    private readonly StringPattern[] _toDownstreamOnDeny;
    private readonly StringPattern[] _toDownstreamOnAllow;
    private HttpMessageInvoker? _invoker;

    public ExtAuthzHttpClient(ExtAuthzConfig config, ILogger logger)
        : base(config, logger)
    {
        _include = Patterns(config.IncludeRequestHeaders);
        _toUpstream = Patterns(config.HeadersToUpstreamOnAllow);
        _toDownstreamOnDeny = Patterns(config.HeadersToDownstreamOnDeny);
        _toDownstreamOnAllow = Patterns(config.HeadersToDownstreamOnAllow);
    }

    protected override async Task<ExtAuthzDecision> CheckAsync(HttpContext context, ClusterState cluster, byte[]? body, Random random)
    {
        _invoker ??= new HttpMessageInvoker(Transport(cluster, random), disposeHandler: false);
        using var message = CheckRequest(context.Request, body);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(Config.Timeout);
        try
        {
            using var response = await _invoker.SendAsync(message, timeout.Token).ConfigureAwait(false);
            var responseBody = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK
                ? ExtAuthzDecision.Allow(Select(response, _toUpstream, all: false), Select(response, _toDownstreamOnAllow, all: false))
                : ExtAuthzDecision.Deny((int)response.StatusCode, Select(response, _toDownstreamOnDeny, all: _toDownstreamOnDeny.Length == 0), responseBody, error: false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            return Failed(ex.Message);
        }
    }

    private HttpRequestMessage CheckRequest(HttpRequest request, byte[]? body)
    {
        var path = new PathString(Config.PathPrefix.TrimEnd('/')).Add(request.Path);
        var message = new HttpRequestMessage(new HttpMethod(request.Method), UpstreamUri.For(PlaceholderAuthority, path.Value ?? "/", request.QueryString))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ByteArrayContent(body ?? []),
        };
        message.Headers.Host = request.Host.Value;
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("authorization", StringComparison.OrdinalIgnoreCase) || (Included(name) && !IsReserved(name)))
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        foreach (var header in Config.AdditionalHeaders)
        {
            message.Headers.Remove(header.Name);
            message.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        return message;
    }

    private bool Included(string name)
    {
        foreach (var pattern in _include)
        {
            if (pattern.Matches(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Headers the check request sets itself (Host, Content-Length, pseudo-headers), or that belong to one hop.</summary>
    private static bool IsReserved(string name) => name.StartsWith(':') || ProxyHeaders.IsHopByHopOrFraming(name);

    /// <summary>The response's headers the patterns select (all but hop-by-hop and framing ones with <paramref name="all"/>).</summary>
    private static KeyValuePair<string, string>[] Select(HttpResponseMessage response, StringPattern[] patterns, bool all)
    {
        if (!all && patterns.Length == 0)
        {
            return [];
        }

        var selected = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (IsReserved(name) || (!all && !patterns.Any(p => p.Matches(name))))
            {
                continue;
            }

            foreach (var value in values)
            {
                selected.Add(new(name, value));
            }
        }

        return [.. selected];
    }

    private static StringPattern[] Patterns(EquatableArray<string> names) => [.. names.Select(n => StringPattern.Parse(n, ignoreCase: true))];
}
