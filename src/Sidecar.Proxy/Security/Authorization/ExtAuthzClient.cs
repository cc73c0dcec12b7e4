using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// Envoy's ext_authz filter, as Istio configures it for an AuthorizationPolicy CUSTOM provider: what both kinds of
/// authorization service share (the body sent with the check, what a failed check gives: <c>statusOnError</c>, or
/// the request let through with <c>failOpen</c>); <see cref="ExtAuthzHttpClient"/> and <see cref="ExtAuthzGrpcClient"/>
/// ask the service.
/// </summary>
internal abstract partial class ExtAuthzClient
{
    private readonly ILogger _logger;
    private ClusterMessageHandler? _transport;

    protected ExtAuthzClient(ExtAuthzConfig config, ILogger logger)
    {
        Config = config;
        _logger = logger;
    }

    public ExtAuthzConfig Config { get; }

    public static ExtAuthzClient Create(ExtAuthzConfig config, ILogger logger) =>
        config.Protocol == ExtAuthzProtocol.Grpc ? new ExtAuthzGrpcClient(config, logger) : new ExtAuthzHttpClient(config, logger);

    public async Task<ExtAuthzDecision> CheckAsync(HttpContext context, ClusterState? cluster, Random random)
    {
        byte[]? body = null;
        if (Config.MaxRequestBytes is { } max)
        {
            body = await ReadBodyAsync(context.Request, max, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                // Envoy's with_request_body without allow_partial_message: a body over the limit is refused.
                return ExtAuthzDecision.Deny(StatusCodes.Status413PayloadTooLarge, [], "Payload Too Large"u8.ToArray(), error: false);
            }
        }

        return cluster is null ? Failed($"cluster {Config.Cluster} is not known") : await CheckAsync(context, cluster, body, random).ConfigureAwait(false);
    }

    /// <summary>
    /// Envoy's network ext_authz for an inbound TCP connection a CUSTOM policy matches: only gRPC services are asked
    /// (Istio ignores HTTP providers for TCP); false closes the connection.
    /// </summary>
    public virtual Task<bool> CheckConnectionAsync(System.Net.IPEndPoint? source, System.Net.IPEndPoint? destination, string? principal, ClusterState? cluster, Random random) =>
        Task.FromResult(true);

    /// <summary>Asks the service about the request (with <paramref name="body"/> when the check carries it).</summary>
    protected abstract Task<ExtAuthzDecision> CheckAsync(HttpContext context, ClusterState cluster, byte[]? body, Random random);

    /// <summary>
    /// The calls' transport: the service's cluster, one per snapshot (a later push with new cluster settings builds a
    /// new client). Check requests carry <see cref="PlaceholderAuthority"/>; the handler replaces it with an endpoint.
    /// </summary>
    protected ClusterMessageHandler Transport(ClusterState cluster, Random random) => _transport ??= new ClusterMessageHandler(cluster, random);

    protected const string PlaceholderAuthority = "http://ext-authz.invalid";

    /// <summary>The service could not answer: <c>statusOnError</c> (flag UAEX), or the request goes on with <c>failOpen</c>.</summary>
    protected ExtAuthzDecision Failed(string reason)
    {
        Log.CheckFailed(_logger, Config.Provider, reason);
        return Config.FailOpen ? ExtAuthzDecision.Allow([], []) : ExtAuthzDecision.Deny(Config.StatusOnError, [], [], error: true);
    }

    /// <summary>Up to <paramref name="max"/> bytes of the body, left readable for the upstream; null when it is longer and partial bodies are not allowed.</summary>
    private async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !HttpMethods.IsPost(request.Method) && !HttpMethods.IsPut(request.Method) && !HttpMethods.IsPatch(request.Method)))
        {
            return [];
        }

        if (request.ContentLength > max && !Config.AllowPartialMessage)
        {
            return null;
        }

        request.EnableBuffering();
        // One byte past the limit tells a longer body apart; a known length needs no more than itself.
        var buffer = new byte[(int)Math.Min((long)max + 1, (request.ContentLength ?? max) + 1)];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        request.Body.Position = 0;
        if (read > max && !Config.AllowPartialMessage)
        {
            return null;
        }

        return buffer.AsSpan(0, Math.Min(read, max)).ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "External authorization with {Provider} failed: {Error}")]
        public static partial void CheckFailed(ILogger logger, string provider, string error);
    }
}
