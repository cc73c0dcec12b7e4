using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Benchmarks;

/// <summary>
/// A regex route match (Envoy's safe_regex, a full match): the regex engine alone against the engine behind the
/// pattern's literal prefix, for a path the route does not take (most requests reach a later route) and one it does.
/// </summary>
[MemoryDiagnoser]
public class RegexRouteBenchmarks
{
    private const string Pattern = "^/admin/.*";
    private readonly Regex _engineOnly = new($"^(?:{Pattern})$", ProxyConfigValidator.Re2Options);
    private readonly FullMatchRegex _route = new(Pattern);

    [Benchmark(Baseline = true)]
    public bool EngineOnly_Miss() => _engineOnly.IsMatch("/reviews/1");

    [Benchmark]
    public bool LiteralPrefix_Miss() => _route.IsMatch("/reviews/1");

    [Benchmark]
    public bool EngineOnly_Hit() => _engineOnly.IsMatch("/admin/users/42");

    [Benchmark]
    public bool LiteralPrefix_Hit() => _route.IsMatch("/admin/users/42");
}
