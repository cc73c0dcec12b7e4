using System.Collections.Concurrent;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;

using Sidecar.FunctionalTests.Infrastructure;

namespace Sidecar.FunctionalTests.Xds;

/// <summary>
/// A control plane speaking Envoy's real ADS API (state of the world) over plaintext HTTP/2, as istiod serves it on
/// 15010: every type's current resources go to each stream on subscription, when the requested names change and on
/// every <see cref="Push"/>; each response has a new version and nonce. Every request (ACK, NACK, subscription) is
/// recorded. Istio's name table (NDS) goes, as istiod sends it, only to a node whose metadata has DNS_CAPTURE "true".
/// </summary>
internal sealed class FakeIstiod : IAsyncDisposable
{
    private const string NameTableType = "type.googleapis.com/istio.networking.nds.v1.NameTable";

    private WebApplication _app = null!;
    private readonly Lock _lock = new();
    private readonly List<StreamState> _streams = [];
    private Dictionary<string, IMessage[]> _resources = new(StringComparer.Ordinal);
    private int _version;

    public ConcurrentQueue<DiscoveryRequest> Requests { get; } = new();

    public Uri Address { get; private set; } = null!;

    public static async Task<FakeIstiod> StartAsync()
    {
        var server = new FakeIstiod();
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

    /// <summary>The NACKs received so far (requests carrying an error).</summary>
    public IReadOnlyList<DiscoveryRequest> Nacks => Requests.Where(r => r.ErrorDetail is not null).ToList();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The response to send, or null where istiod sends none.</summary>
    private DiscoveryResponse? Response(string typeUrl, IReadOnlyCollection<string> names, Envoy.Config.Core.V3.Node? node)
    {
        // istiod's NdsGenerator builds no table (and sends nothing) for a proxy without DNS capture.
        if (typeUrl == NameTableType && node?.Metadata?.Fields.GetValueOrDefault("DNS_CAPTURE")?.StringValue != "true")
        {
            return null;
        }

        lock (_lock)
        {
            var version = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = version, Nonce = "n" + version };
            foreach (var resource in _resources.GetValueOrDefault(typeUrl) ?? [])
            {
                if (names.Count == 0 || names.Contains(NameOf(resource)))
                {
                    response.Resources.Add(Any.Pack(resource));
                }
            }

            return response;
        }
    }

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
        : (string)resource.Descriptor.FindFieldByName("cluster_name").Accessor.GetValue(resource);

    private sealed class StreamState
    {
        public SemaphoreSlim Changed { get; } = new(0);

        public CancellationTokenSource Abort { get; } = new();

        /// <summary>The node the stream's first request named.</summary>
        public Envoy.Config.Core.V3.Node? Node { get; set; }

        /// <summary>Names subscribed, by type (empty: every resource).</summary>
        public ConcurrentDictionary<string, string[]> Subscribed { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Service(FakeIstiod server) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
    {
        public override async Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context)
        {
            var state = new StreamState();
            var writes = new SemaphoreSlim(1);
            lock (server._lock)
            {
                server._streams.Add(state);
            }

            async Task SendAsync(string typeUrl)
            {
                await writes.WaitAsync();
                try
                {
                    if (server.Response(typeUrl, state.Subscribed.GetValueOrDefault(typeUrl) ?? [], state.Node) is { } response)
                    {
                        await responseStream.WriteAsync(response);
                    }
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
                        await SendAsync(type);
                    }
                }
            });

            try
            {
                await foreach (var request in requestStream.ReadAllAsync(ended.Token))
                {
                    server.Requests.Enqueue(request);
                    state.Node ??= request.Node;
                    var names = request.ResourceNames.Order(StringComparer.Ordinal).ToArray();
                    var known = state.Subscribed.TryGetValue(request.TypeUrl, out var previous);
                    state.Subscribed[request.TypeUrl] = names;
                    // A new subscription, or new names: answer with the current resources; an ACK or NACK needs none.
                    if (!known || !previous!.SequenceEqual(names))
                    {
                        await SendAsync(request.TypeUrl);
                    }
                }
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
