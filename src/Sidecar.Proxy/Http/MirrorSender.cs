using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's request mirroring (shadowing): a copy of the request goes to the mirror cluster, fire-and-forget, with
/// <c>-shadow</c> appended to the authority's host; its response is discarded. A request whose body did not fit
/// the replay buffer is not shadowed, as in Envoy.
/// </summary>
internal sealed partial class MirrorSender
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private readonly ILogger<MirrorSender> _logger;

    public MirrorSender(ILogger<MirrorSender> logger) => _logger = logger;

    public void Send(HttpContext context, RequestState state, ClusterState cluster, TimeSpan? timeout, Random random)
    {
        ReadOnlyMemory<byte>? body = null;
        if (state.Body is { } replay)
        {
            if (replay.CompleteBody is not { } complete)
            {
                return;
            }

            body = complete.ToArray();
        }
        else if (context.Request.ContentLength is > 0)
        {
            return;
        }

        var endpoint = cluster.PickEndpoint(null, random);
        if (endpoint is null)
        {
            return;
        }

        var request = context.Request;
        var message = new HttpRequestMessage(new HttpMethod(request.Method), RequestUtilities.MakeDestinationAddress(endpoint.DestinationPrefix, request.Path, request.QueryString))
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        if (body is { } bytes)
        {
            message.Content = new ReadOnlyMemoryContent(bytes);
        }

        foreach (var header in request.Headers)
        {
            if (ProxyHeaders.IsHopByHopOrFraming(header.Key) || header.Key.StartsWith(':'))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value) && message.Content is not null)
            {
                message.Content.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }

        message.Headers.Host = ShadowAuthority(request.Host.Value ?? endpoint.Key);
        _ = SendAsync(message, cluster, endpoint, timeout ?? DefaultTimeout);
    }

    /// <summary><c>reviews:9080</c> becomes <c>reviews-shadow:9080</c>.</summary>
    internal static string ShadowAuthority(string authority)
    {
        var colon = authority.LastIndexOf(':');
        return colon > 0 && authority.IndexOf(']', StringComparison.Ordinal) < colon
            ? string.Concat(authority.AsSpan(0, colon), "-shadow", authority.AsSpan(colon))
            : authority + "-shadow";
    }

    private async Task SendAsync(HttpRequestMessage message, ClusterState cluster, EndpointState endpoint, TimeSpan timeout)
    {
        endpoint.BeginRequest();
        var failed = false;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var response = await cluster.Invoker.SendAsync(message, cts.Token).ConfigureAwait(false);
            failed = (int)response.StatusCode >= 500;
            await response.Content.CopyToAsync(Stream.Null, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            failed = true;
            Log.MirrorFailed(_logger, cluster.Name, ex.Message);
        }
        finally
        {
            endpoint.EndRequest(failed, connectFailure: false);
            message.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Mirror request to {Cluster} failed: {Error}")]
        public static partial void MirrorFailed(ILogger logger, string cluster, string error);
    }
}
