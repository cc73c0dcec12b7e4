using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Benchmarks;

/// <summary>
/// The upstream URI of a request: built per request as YARP's default does, against the sidecar's cache of recent
/// URIs; each then read as HttpClient reads it for every request (the connection pool's host, the request line's path
/// and query). The request's path is a string instance of its own, as Kestrel gives one per request.
/// </summary>
[MemoryDiagnoser]
public class UpstreamUriBenchmarks
{
    private const string Destination = "http://10.44.0.17:9080/";
    private readonly UpstreamUriCache _cache = new();
    private readonly QueryString _query = new("?start=0&count=10");
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = new string("/reviews/0".AsSpan());
        _cache.Get(Destination, "/reviews/0", _query);
    }

    [Benchmark(Baseline = true)]
    public int BuiltPerRequest() => Read(RequestUtilities.MakeDestinationAddress(Destination, new PathString(_path), _query));

    [Benchmark]
    public int Cached() => Read(_cache.Get(Destination, _path, _query));

    private static int Read(Uri uri) => uri.IdnHost.Length + uri.Port + uri.PathAndQuery.Length;
}
