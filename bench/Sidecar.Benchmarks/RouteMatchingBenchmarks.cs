using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy;
using Sidecar.Proxy.Routing;

namespace Sidecar.Benchmarks;

/// <summary>
/// Route selection over a route table of <see cref="MeshFixture.Services"/> services: the virtual host lookup by
/// authority and the ordered route match, as each request does them.
/// </summary>
[MemoryDiagnoser]
public class RouteMatchingBenchmarks
{
    private DataPlaneSnapshot _snapshot = null!;
    private HttpContext _default = null!;
    private HttpContext _headerMatch = null!;
    private HttpContext _shortName = null!;

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = MeshFixture.Compile(MeshFixture.Build());
        _default = MeshFixture.Request("svc150.default.svc.cluster.local:9080", "/reviews/1");
        _headerMatch = MeshFixture.Request("svc7:9080", "/reviews/1", ("end-user", "jason"));
        _shortName = MeshFixture.Request("svc299", "/api/v3/items");
        // Check the result once before timing (Kestrel's microbenchmark habit).
        if (Match(_default)?.Action?.Clusters[0].Name != "outbound|9080|v1|svc150.default.svc.cluster.local")
        {
            throw new InvalidOperationException("fixture does not route as expected");
        }
    }

    [Benchmark(Baseline = true)]
    public object? FqdnWithPort_DefaultRoute() => Match(_default);

    [Benchmark]
    public object? ShortName_HeaderMatch() => Match(_headerMatch);

    [Benchmark]
    public object? HostWithoutPort_PrefixMatch() => Match(_shortName);

    private Route? Match(HttpContext context)
    {
        var request = context.Request;
        var table = _snapshot.OutboundTableFor(request.Host.Value!);
        var view = new RequestView(request);
        return table.Match(view.Authority)?.Match(view);
    }
}
