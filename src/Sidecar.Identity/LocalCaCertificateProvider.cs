namespace Sidecar.Identity;

/// <summary>Workload certificates from the shared <see cref="LocalCertificateAuthority"/> (standalone mode).</summary>
public sealed class LocalCaCertificateProvider : ICertificateProvider
{
    private readonly LocalCertificateAuthority _ca;
    private readonly string _spiffeId;
    private readonly KeyAlgorithm _algorithm;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    public LocalCaCertificateProvider(LocalCertificateAuthority ca, string spiffeId, KeyAlgorithm algorithm, TimeSpan lifetime, TimeProvider time, string directory)
    {
        _ca = ca;
        _spiffeId = spiffeId;
        _algorithm = algorithm;
        _lifetime = lifetime;
        _time = time;
        Description = $"local CA {directory}";
    }

    public string Description { get; }

    public Task<WorkloadCertificate> FetchAsync(CancellationToken cancellationToken) =>
        Task.Run(() => _ca.Issue(_spiffeId, _algorithm, _lifetime, _time.GetUtcNow()), cancellationToken);
}
