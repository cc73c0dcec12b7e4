using BenchmarkDotNet.Attributes;
using Sidecar.Istio.Parsing;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Translation;
using Sidecar.Model;

namespace Sidecar.Benchmarks;

/// <summary>
/// A standalone config push: parsing the YAML of a mesh of <see cref="Services"/> services (a ServiceEntry and a
/// VirtualService each, the table bench/compare.sh loads) and translating it into the model. Not per request, but its time
/// is the sidecar's time to ready and its allocations are the peak memory of every push.
/// </summary>
[MemoryDiagnoser]
public class ConfigLoadBenchmarks
{
    private string _yaml = "";
    private IReadOnlyList<IstioResource> _resources = [];

    [Params(200, 1000)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _yaml = Sidecar.Bench.MeshYaml.Services(Services);
        var parsed = IstioYamlParser.Parse(_yaml, "mesh.yaml");
        _resources = parsed.IsValid ? parsed.Resources : throw new InvalidOperationException("fixture does not parse");
        if (Translate().Config?.RouteTables.Count is not > 0)
        {
            throw new InvalidOperationException("fixture does not translate");
        }
    }

    [Benchmark]
    public object Parse() => IstioYamlParser.Parse(_yaml, "mesh.yaml");

    [Benchmark]
    public TranslationResult Translate() => IstioConfigTranslator.Translate(_resources, new TranslationContext { Workload = WorkloadInfo.Default });
}
