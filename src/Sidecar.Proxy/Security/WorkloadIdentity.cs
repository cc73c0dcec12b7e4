using Sidecar.Identity;

namespace Sidecar.Proxy.Security;

/// <summary>
/// The data plane's view of identity: the certificate store (when the sidecar has one) and the trust domain. TLS
/// code reads <see cref="Current"/> on every handshake, which is how a rotation reaches new connections.
/// </summary>
internal sealed class WorkloadIdentity
{
    public WorkloadIdentity(CertificateStore? store, string spiffeId)
    {
        Store = store;
        SpiffeId = spiffeId;
    }

    public CertificateStore? Store { get; }

    /// <summary>This workload's own SPIFFE id (the <c>By=</c> of <c>x-forwarded-client-cert</c>).</summary>
    public string SpiffeId { get; }

    public WorkloadCertificate? Current => Store?.Current;
}
