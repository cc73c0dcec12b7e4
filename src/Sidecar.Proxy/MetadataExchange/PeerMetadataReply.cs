using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.MetadataExchange;

/// <summary>
/// This workload's metadata exchange headers as an inbound sidecar answers a mesh caller with them. Istio's peer
/// metadata filter is the first of the inbound chain and writes them as the response's headers pass it, so the
/// sidecar's own replies (an RBAC 403, a JWT 401, a 503 toward the app) carry them too: the caller's sidecar then
/// reports the destination workload of a denied request as it does for a served one.
/// </summary>
internal sealed class PeerMetadataReply(string metadata, string id)
{
    public void WriteTo(IHeaderDictionary headers)
    {
        headers[PeerMetadataCodec.MetadataHeader] = metadata;
        headers[PeerMetadataCodec.MetadataIdHeader] = id;
    }
}
