using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Client;

/// <summary>
/// The mesh config source: one ADS stream to istiod, delta (incremental) by default as pilot-agent's
/// <c>ISTIO_DELTA_XDS</c>, else state of the world (<see cref="XdsOptions.DeltaXds"/>; also taken when istiod does not
/// serve delta). It subscribes to every cluster and listener, then to the endpoints and route tables those name, and,
/// when DNS capture is on, to istiod's name table (NDS, as pilot-agent does; readiness does not wait on it). Each
/// response is tried on a copy of what was accepted, translated into a snapshot and validated: accepted, it is ACKed
/// and, once clusters, listeners and everything they name have arrived, published; refused, it is NACKed with the
/// error and the last good snapshot keeps serving. A broken stream is opened again with growing, jittered delays,
/// resuming with the versions and names already held.
/// </summary>
public sealed partial class AdsClient : BackgroundService
{
    private static readonly string[] EnvoyTypes = [XdsTypeUrls.Cluster, XdsTypeUrls.Endpoints, XdsTypeUrls.Listener, XdsTypeUrls.Route];

    private readonly XdsOptions _options;
    private readonly ProxyConfigStore _store;
    private readonly ILogger<AdsClient> _logger;
    private readonly TimeProvider _time;
    private readonly GrpcChannel _channel;
    private readonly AggregatedDiscoveryService.AggregatedDiscoveryServiceClient _client;
    private readonly string[] _subscriptionOrder;
    private readonly Dictionary<string, Subscription> _subscriptions;
    private XdsResources _accepted = XdsResources.Empty;
    private string _loggedWarnings = "";
    private bool _delta;

    public AdsClient(XdsOptions options, ProxyConfigStore store, ILogger<AdsClient> logger, TimeProvider time, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _delta = options.DeltaXds;
        _store = store;
        _logger = logger;
        _time = time;
        // pilot-agent asks for NDS after Envoy's types, on the same stream, only when its DNS proxy runs.
        _subscriptionOrder = options.DnsCapture ? [.. EnvoyTypes, XdsTypeUrls.NameTable] : EnvoyTypes;
        _subscriptions = _subscriptionOrder.ToDictionary(t => t, _ => new Subscription(), StringComparer.Ordinal);
        _channel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            HttpHandler = handler ?? IstiodConnection.CreateHandler(options.Address.Scheme == Uri.UriSchemeHttps ? options.RootCertificatePath : null, options.ServerName),
            // Istio's pushes can be large (every cluster of a big mesh in one response).
            MaxReceiveMessageSize = 256 * 1024 * 1024,
        });
        _client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel);
    }

    public override void Dispose()
    {
        _channel.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            var received = false;
            try
            {
                received = await RunStreamAsync(stoppingToken).ConfigureAwait(false);
                Log.StreamClosed(_logger, _options.Address);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (_delta && ex.StatusCode == StatusCode.Unimplemented)
            {
                // A control plane without DeltaAggregatedResources: state of the world from now on.
                Log.DeltaUnavailable(_logger, _options.Address);
                _delta = false;
                continue;
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException or InvalidOperationException)
            {
                Log.StreamFailed(_logger, _options.Address, ex.Message);
            }

            delay = received ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            var jittered = delay * (0.5 + (Random.Shared.NextDouble() / 2));
            try
            {
                await Task.Delay(jittered, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One stream, until it ends; true when it delivered anything.</summary>
    private async Task<bool> RunStreamAsync(CancellationToken cancellationToken)
    {
        var headers = new Metadata { { "ClusterID", _options.Workload.ClusterId } };
        if (await IstiodConnection.ReadTokenAsync(null, _options.TokenPath, cancellationToken).ConfigureAwait(false) is { } token)
        {
            headers.Add("authorization", $"Bearer {token}");
        }

        return _delta
            ? await RunDeltaStreamAsync(headers, cancellationToken).ConfigureAwait(false)
            : await RunStateOfTheWorldStreamAsync(headers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a new stream's <paramref name="opening"/> requests, then answers each response with what
    /// <paramref name="handle"/> makes of it (its ACK or NACK, and any new subscription), until the stream ends; true
    /// when it delivered anything.
    /// </summary>
    private static async Task<bool> ServeAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, IEnumerable<TRequest> opening, Func<TResponse, List<TRequest>> handle, CancellationToken cancellationToken)
    {
        foreach (var request in opening)
        {
            await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var received = false;
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            received = true;
            foreach (var request in handle(response))
            {
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }

        return received;
    }

    /// <summary>
    /// Tries <paramref name="candidate"/> (what was accepted, with a response of <paramref name="typeUrl"/> applied):
    /// translated and validated, it is kept, and published once complete; null then, else the refusal's text, which
    /// is logged and counted in <c>/config_dump</c>.
    /// </summary>
    private string? Accept(string typeUrl, string version, XdsResources candidate, TranslationErrors errors)
    {
        var now = _time.GetUtcNow();
        ProxyConfig? config = null;
        if (!errors.Any)
        {
            config = XdsSnapshotBuilder.Build(candidate, _options, SnapshotVersion(typeUrl, version), now, errors);
        }

        if (errors.Any)
        {
            Log.Refused(_logger, XdsTypeUrls.ShortName(typeUrl), version, string.Join("; ", errors.All));
            _store.Reject(new ConfigRejection(now, _options.Address.ToString(), errors.All.ToEquatableArray()));
            return string.Join("\n", errors.All);
        }

        _subscriptions[typeUrl].Version = version;
        // Every push is translated whole: log what is lost only when it changes, not on every endpoint update.
        var warnings = string.Join("\n", errors.Warnings);
        if (warnings != _loggedWarnings)
        {
            _loggedWarnings = warnings;
            foreach (var warning in errors.Warnings)
            {
                Log.Warning(_logger, warning.ToString());
            }
        }

        _accepted = candidate;
        if (candidate.IsComplete && config is not null)
        {
            var refused = _store.TryPublish(config, _time);
            if (refused.Count == 0)
            {
                Log.Applied(_logger, config.Version, config.Clusters.Count, config.Listeners.Count, config.RouteTables.Count);
            }
        }

        return null;
    }

    /// <summary>
    /// The type whose names follow from an accepted <paramref name="typeUrl"/> (clusters name endpoints, listeners
    /// name route tables) and the names it must now be subscribed to, when they changed; null otherwise.
    /// </summary>
    private (string TypeUrl, IReadOnlyList<string> Names)? DependentSubscription(string typeUrl, XdsResources accepted)
    {
        var (dependent, names) = typeUrl switch
        {
            XdsTypeUrls.Cluster => (XdsTypeUrls.Endpoints, accepted.EndpointNames()),
            XdsTypeUrls.Listener => (XdsTypeUrls.Route, accepted.RouteNames()),
            _ => ("", (IReadOnlyList<string>)[]),
        };
        return dependent.Length > 0 && !names.SequenceEqual(_subscriptions[dependent].Names, StringComparer.Ordinal) ? (dependent, names) : null;
    }

    /// <summary>
    /// Moves <paramref name="typeUrl"/>'s subscription to <paramref name="names"/>: the names added, and those dropped,
    /// whose resources are forgotten (a removed service's endpoints are not kept).
    /// </summary>
    private (List<string> Added, List<string> Dropped) Resubscribe(string typeUrl, IReadOnlyList<string> names)
    {
        var subscription = _subscriptions[typeUrl];
        var added = names.Except(subscription.Names, StringComparer.Ordinal).ToList();
        var dropped = subscription.Names.Except(names, StringComparer.Ordinal).ToList();
        subscription.Names = names;
        foreach (var name in dropped)
        {
            subscription.ResourceVersions.Remove(name);
        }

        _accepted = _accepted.Apply(typeUrl, [], dropped, replaceType: false, new TranslationErrors());
        return (added, dropped);
    }

    /// <summary>A NACK's error: istiod logs its message and counts the rejection.</summary>
    private static Google.Rpc.Status ErrorDetail(string refusal) => new() { Code = (int)StatusCode.InvalidArgument, Message = refusal };

    /// <summary>The snapshot's version: the versions of its types, in subscription order, as istiod numbers its pushes.</summary>
    private string SnapshotVersion(string typeUrl, string version) =>
        string.Join(",", _subscriptionOrder.Select(t => t == typeUrl ? version : _subscriptions[t].Version));

    /// <summary>What is held for one resource type on the stream.</summary>
    private sealed class Subscription
    {
        /// <summary>The version of the type's last accepted response (delta: its <c>system_version_info</c>).</summary>
        public string Version { get; set; } = "";

        public string Nonce { get; set; } = "";

        /// <summary>The names subscribed to (endpoints and route tables; the wildcard types have none).</summary>
        public IReadOnlyList<string> Names { get; set; } = [];

        /// <summary>Delta: each accepted resource's version, by name (a new stream's <c>initial_resource_versions</c>).</summary>
        public Dictionary<string, string> ResourceVersions { get; } = new(StringComparer.Ordinal);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "xDS: applied {Version} ({Clusters} clusters, {Listeners} listeners, {Routes} route tables)")]
        public static partial void Applied(ILogger logger, string version, int clusters, int listeners, int routes);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "xDS {Type} version {Version} refused (NACK): {Errors}")]
        public static partial void Refused(ILogger logger, string type, string version, string errors);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "xDS stream to {Address} failed: {Error}; reconnecting")]
        public static partial void StreamFailed(ILogger logger, Uri address, string error);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "xDS stream to {Address} closed by the server; reconnecting")]
        public static partial void StreamClosed(ILogger logger, Uri address);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "xDS response of unknown type {Type} ignored")]
        public static partial void UnknownType(ILogger logger, string type);

        [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "xDS: {Warning}")]
        public static partial void Warning(ILogger logger, string warning);

        [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "xDS: {Address} does not serve delta xDS (DeltaAggregatedResources); using state of the world")]
        public static partial void DeltaUnavailable(ILogger logger, Uri address);
    }
}
