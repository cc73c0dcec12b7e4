using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Istio.Networking.Nds.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Client;

/// <summary>
/// The mesh config source: one ADS stream to istiod (state of the world), as Envoy keeps it. It subscribes to every
/// cluster and listener, then to the endpoints and route tables those name, and, when DNS capture is on, to istiod's
/// name table (NDS, as pilot-agent does; readiness does not wait on it). Each response is tried on a copy of what was
/// accepted, translated into a snapshot and validated: accepted, it is ACKed (its version and nonce echoed) and, once
/// clusters, listeners and everything they name have arrived, published; refused, it is NACKed with the error (the
/// previous version and the nonce) and the last good snapshot keeps serving. A broken stream is opened again with
/// growing, jittered delays, resuming with the versions and names already held.
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

    public AdsClient(XdsOptions options, ProxyConfigStore store, ILogger<AdsClient> logger, TimeProvider time, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
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

        using var call = _client.StreamAggregatedResources(headers, cancellationToken: cancellationToken);
        var node = NodeBuilder.Build(_options);
        foreach (var typeUrl in _subscriptionOrder)
        {
            var subscription = _subscriptions[typeUrl];
            // Nonces belong to a stream; versions and names carry over, so istiod can skip what is unchanged.
            subscription.Nonce = "";
            if (IsWildcard(typeUrl) || subscription.Names.Count > 0)
            {
                var request = Request(typeUrl);
                request.Node = node;
                node = null;
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }

        var received = false;
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            received = true;
            foreach (var request in Handle(response))
            {
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }

        return received;
    }

    /// <summary>The ACK or NACK of <paramref name="response"/>, then any new subscription it calls for.</summary>
    private List<DiscoveryRequest> Handle(DiscoveryResponse response)
    {
        if (!_subscriptions.TryGetValue(response.TypeUrl, out var subscription))
        {
            Log.UnknownType(_logger, response.TypeUrl);
            return [];
        }

        subscription.Nonce = response.Nonce;
        var errors = new TranslationErrors();
        var candidate = Apply(_accepted, response, errors);
        var now = _time.GetUtcNow();
        ProxyConfig? config = null;
        if (!errors.Any)
        {
            config = XdsSnapshotBuilder.Build(candidate, _options, VersionOf(response), now, errors);
        }

        if (errors.Any)
        {
            Log.Refused(_logger, ShortType(response.TypeUrl), response.VersionInfo, string.Join("; ", errors.All));
            _store.Reject(new ConfigRejection(now, _options.Address.ToString(), errors.All.ToEquatableArray()));
            var nack = Request(response.TypeUrl);
            nack.ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = string.Join("\n", errors.All) };
            return [nack];
        }

        subscription.Version = response.VersionInfo;
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

        var requests = new List<DiscoveryRequest> { Request(response.TypeUrl) };
        var previousEndpoints = _subscriptions[XdsTypeUrls.Endpoints].Names;
        var previousRoutes = _subscriptions[XdsTypeUrls.Route].Names;
        _accepted = candidate;
        if (response.TypeUrl == XdsTypeUrls.Cluster && Resubscribe(XdsTypeUrls.Endpoints, candidate.EndpointNames(), previousEndpoints) is { } endpoints)
        {
            requests.Add(endpoints);
        }
        else if (response.TypeUrl == XdsTypeUrls.Listener && Resubscribe(XdsTypeUrls.Route, candidate.RouteNames(), previousRoutes) is { } routes)
        {
            requests.Add(routes);
        }

        if (candidate.IsComplete && config is not null)
        {
            var refused = _store.TryPublish(config, _time);
            if (refused.Count == 0)
            {
                Log.Applied(_logger, config.Version, config.Clusters.Count, config.Listeners.Count, config.RouteTables.Count);
            }
        }

        return requests;
    }

    /// <summary>A new request for <paramref name="typeUrl"/> when its names changed; null when they did not.</summary>
    private DiscoveryRequest? Resubscribe(string typeUrl, IReadOnlyList<string> names, IReadOnlyList<string> previous)
    {
        if (names.SequenceEqual(previous, StringComparer.Ordinal))
        {
            return null;
        }

        _subscriptions[typeUrl].Names = names;
        return Request(typeUrl);
    }

    /// <summary><paramref name="current"/> with the response's resources in place of their type's (or, for endpoints and routes, by name).</summary>
    private static XdsResources Apply(XdsResources current, DiscoveryResponse response, TranslationErrors errors)
    {
        switch (response.TypeUrl)
        {
            case XdsTypeUrls.Cluster:
                return current with { Clusters = Unpack<Cluster>(response, c => c.Name, errors), HasClusters = true };
            case XdsTypeUrls.Listener:
                return current with { Listeners = Unpack<Listener>(response, l => l.Name, errors), HasListeners = true };
            case XdsTypeUrls.Endpoints:
                var endpoints = new Dictionary<string, ClusterLoadAssignment>(current.Endpoints, StringComparer.Ordinal);
                foreach (var (name, assignment) in Unpack<ClusterLoadAssignment>(response, a => a.ClusterName, errors))
                {
                    endpoints[name] = assignment;
                }

                return current with { Endpoints = endpoints };
            case XdsTypeUrls.Route:
                var routes = new Dictionary<string, RouteConfiguration>(current.Routes, StringComparer.Ordinal);
                foreach (var (name, table) in Unpack<RouteConfiguration>(response, r => r.Name, errors))
                {
                    routes[name] = table;
                }

                return current with { Routes = routes };
            case XdsTypeUrls.NameTable:
                // istiod sends the whole table as one unnamed resource; a response without one empties it.
                var nameTable = Unpack<NameTable>(response, _ => "", errors).GetValueOrDefault("") ?? new NameTable();
                return current with { NameTable = nameTable };
            default:
                // Handle answers only the types subscribed to.
                throw new System.Diagnostics.UnreachableException(response.TypeUrl);
        }
    }

    private static Dictionary<string, T> Unpack<T>(DiscoveryResponse response, Func<T, string> nameOf, TranslationErrors errors)
        where T : class, IMessage<T>, new()
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        for (var i = 0; i < response.Resources.Count; i++)
        {
            var any = response.Resources[i];
            try
            {
                if (!any.TryUnpack<T>(out var resource))
                {
                    errors.Add(ShortType(response.TypeUrl), $"resources[{i}]", $"{Any.GetTypeName(any.TypeUrl)} in a {ShortType(response.TypeUrl)} response");
                    continue;
                }

                result[nameOf(resource)] = resource;
            }
            catch (InvalidProtocolBufferException ex)
            {
                errors.Add(ShortType(response.TypeUrl), $"resources[{i}]", ex.Message);
            }
        }

        return result;
    }

    /// <summary>The request for <paramref name="typeUrl"/> that acknowledges what is held: version, nonce, names.</summary>
    private DiscoveryRequest Request(string typeUrl)
    {
        var subscription = _subscriptions[typeUrl];
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = subscription.Version, ResponseNonce = subscription.Nonce };
        if (!IsWildcard(typeUrl))
        {
            request.ResourceNames.AddRange(subscription.Names);
        }

        return request;
    }

    /// <summary>Types asked for whole (no names): istiod sends every resource of the type the proxy may use.</summary>
    private static bool IsWildcard(string typeUrl) => typeUrl is XdsTypeUrls.Cluster or XdsTypeUrls.Listener or XdsTypeUrls.NameTable;

    /// <summary>The snapshot's version: the versions of its types, in subscription order, as istiod numbers its pushes.</summary>
    private string VersionOf(DiscoveryResponse response) =>
        string.Join(",", _subscriptionOrder.Select(t => t == response.TypeUrl ? response.VersionInfo : _subscriptions[t].Version));

    private static string ShortType(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('.') + 1)..];

    /// <summary>What is held for one resource type on the stream.</summary>
    private sealed class Subscription
    {
        public string Version { get; set; } = "";

        public string Nonce { get; set; } = "";

        public IReadOnlyList<string> Names { get; set; } = [];
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
    }
}
