using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Sidecar.Identity;
using Sidecar.Proxy.Security;

namespace Sidecar.Benchmarks;

/// <summary>
/// What a new upstream connection with DestinationRule <c>tls.mode: MUTUAL</c> spends on its files: loading the client
/// certificate, key and caCertificates (what every connection paid before they were cached), against the cached
/// lookup that checks the files' write times.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class TlsFileCacheBenchmarks
{
    private string _directory = null!;
    private string _certificate = null!;
    private string _key = null!;
    private string _roots = null!;
    private readonly TlsFileCache _warm = new();

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("bench-tls-files-").FullName;
        using var ca = LocalCertificateAuthority.OpenOrCreate(Path.Combine(_directory, "ca"), "cluster.local", TimeProvider.System);
        using var client = ca.Issue("spiffe://cluster.local/ns/default/sa/client", KeyAlgorithm.EcdsaP256, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        _certificate = Path.Combine(_directory, "client.pem");
        _key = Path.Combine(_directory, "client-key.pem");
        _roots = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(_certificate, client.Leaf.ExportCertificatePem());
        File.WriteAllText(_key, client.Leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(_roots, ca.Roots[0].ExportCertificatePem());
        Cached();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true, Description = "load certificate, key and roots from the files")]
    public int Load()
    {
        var files = new TlsFileCache();
        return files.ClientCertificate(_certificate, _key).IntermediateCertificates.Count + files.Roots(_roots).Count;
    }

    [Benchmark(Description = "cached, files unchanged")]
    public int Cached() => _warm.ClientCertificate(_certificate, _key).IntermediateCertificates.Count + _warm.Roots(_roots).Count;
}
