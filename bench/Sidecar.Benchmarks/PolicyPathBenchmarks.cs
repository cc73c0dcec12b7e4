using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Routing;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Benchmarks;

/// <summary>
/// The per-request policy decisions after the route match: weighted cluster pick, fault draw, endpoint pick per
/// balancer, retry classification, header mutation and request hashing.
/// </summary>
[MemoryDiagnoser]
public class PolicyPathBenchmarks
{
    private readonly Random _random = new(42);
    private Route _route = null!;
    private ClusterState _leastRequest = null!;
    private ClusterState _roundRobin = null!;
    private ClusterState _ringHash = null!;
    private ClusterState _maglev = null!;
    private HttpContext _context = null!;
    private HttpResponseMessage _upstreamResponse = null!;
    private HashPolicyConfig[] _hashPolicy = null!;
    private RequestState _state = null!;

    [GlobalSetup]
    public void Setup()
    {
        var snapshot = MeshFixture.Compile(MeshFixture.Build());
        _route = snapshot.OutboundTableFor("svc1:9080").Match("svc1:9080")!.Routes[2];
        var endpoints = Enumerable.Range(1, 10).Select(i => new EndpointConfig { Address = $"10.0.0.{i}", Port = 9080 }).ToArray();
        ClusterState Cluster(LoadBalancerPolicy policy) =>
            new(new ClusterConfig { Name = $"outbound|9080|{policy}|svc.default.svc.cluster.local", LbPolicy = policy, Endpoints = [.. endpoints] },
                TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        _leastRequest = Cluster(LoadBalancerPolicy.LeastRequest);
        _roundRobin = Cluster(LoadBalancerPolicy.RoundRobin);
        _ringHash = Cluster(LoadBalancerPolicy.RingHash);
        _maglev = Cluster(LoadBalancerPolicy.Maglev);
        _context = MeshFixture.Request("svc1:9080", "/", ("x-user", "user-1234"));
        _upstreamResponse = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
        _hashPolicy = [new HashPolicyConfig { Kind = HashPolicyKind.Header, Name = "x-user" }];
        _state = new RequestState();
    }

    [Benchmark]
    public object PickWeightedCluster() => _route.Action!.PickCluster(_random);

    [Benchmark]
    public bool FaultDecision() => _route.Fault!.ShouldAbort(_random) || _route.Fault.ShouldDelay(_random);

    [Benchmark]
    public bool RetryDecision() => _route.Action!.Retry!.IsRetriableResponse(503, _upstreamResponse.Headers);

    [Benchmark]
    public object? Pick_LeastRequest() => _leastRequest.PickEndpoint(null, _random);

    [Benchmark]
    public object? Pick_RoundRobin() => _roundRobin.PickEndpoint(null, _random);

    [Benchmark]
    public object? Pick_RingHash() => _ringHash.PickEndpoint(0x1234_5678_9abc_def0UL, _random);

    [Benchmark]
    public object? Pick_Maglev() => _maglev.PickEndpoint(0x1234_5678_9abc_def0UL, _random);

    [Benchmark]
    public ulong? HashHeader() => RequestHash.Compute(_hashPolicy, _context, _state);

    [Benchmark]
    public void ResponseHeaderMutation() => _route.RequestHeaders.Apply(_context.Response.Headers, _context, _state);
}
