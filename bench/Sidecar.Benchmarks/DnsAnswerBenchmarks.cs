using BenchmarkDotNet.Attributes;
using Sidecar.Model;
using Sidecar.Proxy.Dns;

namespace Sidecar.Benchmarks;

/// <summary>
/// The DNS proxy's answer to a query it resolves itself, from the wire query to the wire reply: parse, look up among
/// the names of 200 Kubernetes services (each with its short forms and search-domain expansion), write the reply.
/// The query for a name the mesh does not know stops at the lookup (it is forwarded).
/// </summary>
[MemoryDiagnoser]
public class DnsAnswerBenchmarks
{
    private readonly byte[] _reply = new byte[DnsResponseWriter.MinUdpSize];
    private DnsLookupTable _table = DnsLookupTable.Empty;
    private byte[] _fqdn = [];
    private byte[] _expanded = [];
    private byte[] _unknown = [];

    [GlobalSetup]
    public void Setup()
    {
        var names = Enumerable.Range(0, 200).Select(i => new NameInfoConfig
        {
            Host = $"service-{i}.default.svc.cluster.local",
            Ips = [$"10.96.{i / 250}.{i % 250 + 1}"],
            Registry = NameInfoConfig.KubernetesRegistry,
            ShortName = $"service-{i}",
            Namespace = "default",
        });
        _table = DnsLookupTable.Build(names, "default", ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]);
        _fqdn = Query("service-117.default.svc.cluster.local");
        _expanded = Query("service-117.default.svc.cluster.local.default.svc.cluster.local");
        _unknown = Query("www.example.com");
    }

    [Benchmark(Baseline = true)]
    public int Fqdn() => Answer(_fqdn);

    [Benchmark]
    public int ShortNameThroughSearchDomainCname() => Answer(_expanded);

    [Benchmark]
    public int UnknownNameForwarded() => Answer(_unknown);

    private int Answer(byte[] message)
    {
        Span<char> name = stackalloc char[DnsQuery.MaxNameLength];
        DnsQuery.TryParse(message, name, out var query);
        var result = _table.Lookup(query.Type, name[..query.NameLength]);
        return result.Found ? DnsResponseWriter.WriteAnswer(_reply, message, query, result, DnsResponseWriter.MaxReplySize(query, tcp: false)) : -1;
    }

    private static byte[] Query(string name)
    {
        var bytes = new List<byte> { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(label.Select(c => (byte)c));
        }

        bytes.AddRange([0, 0, 1, 0, 1]);
        return [.. bytes];
    }
}
