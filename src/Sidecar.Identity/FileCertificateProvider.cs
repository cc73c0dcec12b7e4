using System.Security.Cryptography.X509Certificates;

namespace Sidecar.Identity;

/// <summary>
/// Certificates mounted as files by someone else (cert-manager, or Istio's legacy <c>/etc/certs</c>):
/// <c>cert-chain.pem</c> (leaf first), <c>key.pem</c> and <c>root-cert.pem</c>. Re-read when the files change.
/// </summary>
public sealed class FileCertificateProvider : IWatchedCertificateProvider, IDisposable
{
    public const string ChainFileName = "cert-chain.pem";
    public const string KeyFileName = "key.pem";
    public const string RootFileName = "root-cert.pem";

    private readonly string _directory;
    private readonly FileSystemWatcher _watcher;

    public FileCertificateProvider(string directory)
    {
        _directory = directory;
        Description = $"files in {directory}";
        // Kubernetes swaps mounted secrets through a symlinked ..data directory: any change in the folder counts.
        _watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.DirectoryName };
        _watcher.Changed += (_, _) => Changed?.Invoke();
        _watcher.Created += (_, _) => Changed?.Invoke();
        _watcher.Renamed += (_, _) => Changed?.Invoke();
        _watcher.EnableRaisingEvents = true;
    }

    public event Action? Changed;

    public string Description { get; }

    public Task<WorkloadCertificate> FetchAsync(CancellationToken cancellationToken)
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(_directory, ChainFileName));
        if (chain.Count == 0)
        {
            throw new InvalidDataException($"{ChainFileName} in {_directory} holds no certificate");
        }

        using var leafWithKey = X509Certificate2.CreateFromPemFile(Path.Combine(_directory, ChainFileName), Path.Combine(_directory, KeyFileName));
        var leaf = X509CertificateLoader.LoadPkcs12(leafWithKey.Export(X509ContentType.Pkcs12), null);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(_directory, RootFileName));
        return Task.FromResult(new WorkloadCertificate(leaf, intermediates, roots));
    }

    public void Dispose() => _watcher.Dispose();
}
