using System.Collections.Concurrent;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;

using Sidecar.FunctionalTests.Infrastructure;

namespace Sidecar.FunctionalTests.Xds;

/// <summary>
/// A control plane speaking Envoy's real ADS API over plaintext HTTP/2, as istiod serves it on 15010, in both of
/// istiod's protocols. State of the world: every type's current resources go to each stream on subscription, when the
/// requested names change and on every <see cref="Push"/>; each response has a new version and nonce. Delta: the first
/// request of a type gets its resources, a request without a nonce that subscribes to new names gets those, and a push
/// sends only the resources that changed and the names of those removed; a request with a nonce is an ACK or NACK and
/// gets nothing. Every request is recorded (a delta one also in its state-of-the-world shape, as istiod logs it). Istio's
/// name table (NDS) goes, as istiod sends it, only to a node whose metadata has DNS_CAPTURE "true".
/// </summary>
internal sealed class FakeIstiod : IAsyncDisposable
{
    private const string NameTableType = "type.googleapis.com/istio.networking.nds.v1.NameTable";

    private WebApplication _app = null!;
    private readonly Lock _lock = new();
    private readonly List<StreamState> _streams = [];
    private Dictionary<string, IMessage[]> _resources = new(StringComparer.Ordinal);
    private int _version;

    /// <summary>Every request, a delta one as istiod's <c>deltaToSotwRequest</c> shapes it (its subscriptions as names).</summary>
    public ConcurrentQueue<DiscoveryRequest> Requests { get; } = new();

    /// <summary>The delta requests as they came.</summary>
    public ConcurrentQueue<DeltaDiscoveryRequest> DeltaRequests { get; } = new();

    public Uri Address { get; private set; } = null!;

    /// <summary>Whether <c>DeltaAggregatedResources</c> is served (else it answers UNIMPLEMENTED, as a state-of-the-world-only server does).</summary>
    public bool ServesDelta { get; private init; } = true;

    public static async Task<FakeIstiod> StartAsync(bool servesDelta = true)
    {
        var server = new FakeIstiod { ServesDelta = servesDelta };
        (server._app, server.Address) = await GrpcTestHost.StartAsync<Service, FakeIstiod>(server);
        return server;
    }

    /// <summary>Replaces every resource and sends the new set to every open stream.</summary>
    public void Push(params IMessage[] resources)
    {
        List<StreamState> streams;
        lock (_lock)
        {
            _resources = resources.GroupBy(r => "type.googleapis.com/" + r.Descriptor.FullName).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
            streams = [.. _streams];
        }

        foreach (var stream in streams)
        {
            stream.Changed.Release();
        }
    }

    /// <summary>Breaks every open stream, as an istiod restart or a dropped connection would.</summary>
    public void DropStreams()
    {
        lock (_lock)
        {
            foreach (var stream in _streams)
            {
                stream.Abort.Cancel();
            }
        }
    }

    /// <summary>The names the latest stream is subscribed to for <paramref name="typeUrl"/>, sorted (empty: every resource).</summary>
    public IReadOnlyList<string> SubscribedNames(string typeUrl)
    {
        lock (_lock)
        {
            return _streams.LastOrDefault()?.Subscribed.GetValueOrDefault(typeUrl) ?? [];
        }
    }

    /// <summary>The NACKs received so far (requests carrying an error).</summary>
    public IReadOnlyList<DiscoveryRequest> Nacks => Requests.Where(r => r.ErrorDetail is not null).ToList();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The state-of-the-world response to send, or null where istiod sends none.</summary>
    private DiscoveryResponse? Response(string typeUrl, IReadOnlyCollection<string> names, Envoy.Config.Core.V3.Node? node)
    {
        if (Current(typeUrl, names, node) is not { } resources)
        {
            return null;
        }

        var version = NextVersion();
        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = version, Nonce = "n" + version };
        response.Resources.AddRange(resources.Select(r => Any.Pack(r)));
        return response;
    }

    /// <summary>
    /// The delta response that brings a client holding <paramref name="held"/> (name to version) up to date with the
    /// type's current resources among <paramref name="names"/> (empty: all), or null when nothing changed; with
    /// <paramref name="removals"/>, what it holds that no longer exists is removed.
    /// </summary>
    private DeltaDiscoveryResponse? DeltaResponse(string typeUrl, IReadOnlyCollection<string> names, Envoy.Config.Core.V3.Node? node, IDictionary<string, string> held, bool removals)
    {
        if (Current(typeUrl, names, node) is not { } resources)
        {
            return null;
        }

        var version = NextVersion();
        var response = new DeltaDiscoveryResponse { TypeUrl = typeUrl, SystemVersionInfo = version, Nonce = "n" + version };
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            var name = NameOf(resource);
            current.Add(name);
            // A resource's version is its content: what is unchanged is not sent again.
            var resourceVersion = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(resource.ToByteArray()))[..16];
            if (held.TryGetValue(name, out var known) && known == resourceVersion)
            {
                continue;
            }

            held[name] = resourceVersion;
            response.Resources.Add(new Resource { Name = name, Version = resourceVersion, Resource_ = Any.Pack(resource) });
        }

        foreach (var name in removals ? held.Keys.Where(n => !current.Contains(n)).ToList() : [])
        {
            held.Remove(name);
            response.RemovedResources.Add(name);
        }

        return response.Resources.Count == 0 && response.RemovedResources.Count == 0 ? null : response;
    }

    /// <summary>The type's resources among <paramref name="names"/> (empty: all), or null where istiod sends none.</summary>
    private List<IMessage>? Current(string typeUrl, IReadOnlyCollection<string> names, Envoy.Config.Core.V3.Node? node)
    {
        // istiod's NdsGenerator builds no table (and sends nothing) for a proxy without DNS capture.
        if (typeUrl == NameTableType && node?.Metadata?.Fields.GetValueOrDefault("DNS_CAPTURE")?.StringValue != "true")
        {
            return null;
        }

        lock (_lock)
        {
            return (_resources.GetValueOrDefault(typeUrl) ?? []).Where(r => names.Count == 0 || names.Contains(NameOf(r))).ToList();
        }
    }

    private string NextVersion() => Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int PushOrder(string typeUrl) => typeUrl switch
    {
        _ when typeUrl.EndsWith(".Cluster", StringComparison.Ordinal) => 0,
        _ when typeUrl.EndsWith(".ClusterLoadAssignment", StringComparison.Ordinal) => 1,
        _ when typeUrl.EndsWith(".Listener", StringComparison.Ordinal) => 2,
        _ when typeUrl.EndsWith(".RouteConfiguration", StringComparison.Ordinal) => 3,
        _ => 4,
    };

    private static string NameOf(IMessage resource) =>
        resource.Descriptor.FindFieldByName("name") is { } name ? (string)name.Accessor.GetValue(resource)
        : resource.Descriptor.FindFieldByName("cluster_name") is { } clusterName ? (string)clusterName.Accessor.GetValue(resource)
        : ""; // the name table: one unnamed resource

    private sealed class StreamState
    {
        public SemaphoreSlim Changed { get; } = new(0);

        public CancellationTokenSource Abort { get; } = new();

        /// <summary>The node the stream's first request named.</summary>
        public Envoy.Config.Core.V3.Node? Node { get; set; }

        /// <summary>Names subscribed, by type (empty: every resource).</summary>
        public ConcurrentDictionary<string, string[]> Subscribed { get; } = new(StringComparer.Ordinal);

        /// <summary>Delta: what the client holds, by type: resource name to version.</summary>
        public ConcurrentDictionary<string, Dictionary<string, string>> Held { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Service(FakeIstiod server) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
    {
        public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
            RunStreamAsync(
                context,
                (state, typeUrl, _) => server.Response(typeUrl, state.Subscribed.GetValueOrDefault(typeUrl) ?? [], state.Node) is { } response ? responseStream.WriteAsync(response) : Task.CompletedTask,
                async (state, send, cancellationToken) =>
                {
                    await foreach (var request in requestStream.ReadAllAsync(cancellationToken))
                    {
                        server.Requests.Enqueue(request);
                        state.Node ??= request.Node;
                        var names = request.ResourceNames.Order(StringComparer.Ordinal).ToArray();
                        var known = state.Subscribed.TryGetValue(request.TypeUrl, out var previous);
                        state.Subscribed[request.TypeUrl] = names;
                        // A new subscription, or new names: answer with the current resources; an ACK or NACK needs none.
                        if (!known || !previous!.SequenceEqual(names))
                        {
                            await send(request.TypeUrl, null);
                        }
                    }
                });

        public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context)
        {
            if (!server.ServesDelta)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "DeltaAggregatedResources is not served"));
            }

            return RunStreamAsync(
                context,
                (state, typeUrl, only) =>
                {
                    // Newly subscribed names get those resources alone; otherwise what changed and what was removed.
                    var held = state.Held.GetOrAdd(typeUrl, _ => new(StringComparer.Ordinal));
                    var names = only ?? state.Subscribed.GetValueOrDefault(typeUrl) ?? [];
                    return server.DeltaResponse(typeUrl, names, state.Node, held, removals: only is null) is { } response ? responseStream.WriteAsync(response) : Task.CompletedTask;
                },
                async (state, send, cancellationToken) =>
                {
                    await foreach (var request in requestStream.ReadAllAsync(cancellationToken))
                    {
                        server.DeltaRequests.Enqueue(request);
                        server.Requests.Enqueue(new DiscoveryRequest
                        {
                            Node = request.Node,
                            TypeUrl = request.TypeUrl,
                            ResponseNonce = request.ResponseNonce,
                            ErrorDetail = request.ErrorDetail,
                            ResourceNames = { request.ResourceNamesSubscribe },
                        });
                        state.Node ??= request.Node;
                        if (request.ResponseNonce.Length > 0)
                        {
                            // An ACK or NACK: istiod answers neither.
                            continue;
                        }

                        var known = state.Subscribed.TryGetValue(request.TypeUrl, out var previous);
                        var names = new SortedSet<string>(previous ?? [], StringComparer.Ordinal);
                        names.UnionWith(request.ResourceNamesSubscribe);
                        names.ExceptWith(request.ResourceNamesUnsubscribe);
                        state.Subscribed[request.TypeUrl] = [.. names];
                        if (!known)
                        {
                            // A new stream's first request of the type: what the client says it holds, then everything it lacks.
                            state.Held[request.TypeUrl] = new Dictionary<string, string>(request.InitialResourceVersions, StringComparer.Ordinal);
                            await send(request.TypeUrl, null);
                            continue;
                        }

                        foreach (var name in request.ResourceNamesUnsubscribe)
                        {
                            state.Held.GetValueOrDefault(request.TypeUrl)?.Remove(name);
                        }

                        if (request.ResourceNamesSubscribe.Count > 0)
                        {
                            await send(request.TypeUrl, request.ResourceNamesSubscribe);
                        }
                    }
                });
        }

        /// <summary>
        /// One ADS stream of either protocol: <paramref name="read"/> handles its requests while every push sends each
        /// subscribed type in istiod's order; <paramref name="send"/> writes a type's response (of the names given, or
        /// of the subscription), one write at a time.
        /// </summary>
        private async Task RunStreamAsync(
            ServerCallContext context,
            Func<StreamState, string, IReadOnlyCollection<string>?, Task> send,
            Func<StreamState, Func<string, IReadOnlyCollection<string>?, Task>, CancellationToken, Task> read)
        {
            var state = new StreamState();
            var writes = new SemaphoreSlim(1);
            lock (server._lock)
            {
                server._streams.Add(state);
            }

            async Task SendAsync(string typeUrl, IReadOnlyCollection<string>? names)
            {
                await writes.WaitAsync();
                try
                {
                    await send(state, typeUrl, names);
                }
                finally
                {
                    writes.Release();
                }
            }

            using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, state.Abort.Token);
            var pushes = Task.Run(async () =>
            {
                while (!ended.IsCancellationRequested)
                {
                    await state.Changed.WaitAsync(ended.Token);
                    // istiod's push order: clusters, endpoints, listeners, routes (a listener may name a cluster it just added).
                    foreach (var type in state.Subscribed.Keys.OrderBy(PushOrder).ToList())
                    {
                        await SendAsync(type, null);
                    }
                }
            });

            try
            {
                await read(state, SendAsync, ended.Token);
            }
            finally
            {
                lock (server._lock)
                {
                    server._streams.Remove(state);
                }

                await ended.CancelAsync();
                try
                {
                    await pushes;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
