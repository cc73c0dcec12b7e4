namespace Sidecar.Identity;

/// <summary>Where workload certificates come from: a local CA, Istio's CA, or files mounted by someone else.</summary>
public interface ICertificateProvider
{
    /// <summary>A human-readable origin for logs (<c>local CA /var/lib/ca</c>, <c>istiod:15012</c>).</summary>
    string Description { get; }

    /// <summary>Obtains a fresh workload certificate (a new key each time).</summary>
    Task<WorkloadCertificate> FetchAsync(CancellationToken cancellationToken);
}
