using Sidecar.Identity;

namespace Sidecar.Proxy.Security;

/// <summary>
/// The data plane's view of identity: the certificate store (when the sidecar has one) and the trust domain. TLS
/// code reads <see cref="Current"/> on every handshake, which is how a rotation reaches new connections.
/// </summary>
internal sealed class WorkloadIdentity
{
    public WorkloadIdentity(CertificateStore? store, Model.WorkloadInfo workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        Store = store;
        SpiffeId = workload.SpiffeId;
        // Built once: what this sidecar writes after every mTLS handshake under ALPN istio-peer-exchange.
        TcpPreamble = MetadataExchange.PeerMetadataCodec.ToTcpPreamble(Model.PeerMetadata.From(workload), workload.NodeId);
    }

    public CertificateStore? Store { get; }

    /// <summary>This workload's own SPIFFE id (the <c>By=</c> of <c>x-forwarded-client-cert</c>).</summary>
    public string SpiffeId { get; }

    public WorkloadCertificate? Current => Store?.Current;

    /// <summary>The TCP metadata exchange preamble for this workload (magic, size, Any-packed Struct).</summary>
    public byte[] TcpPreamble { get; }
}
