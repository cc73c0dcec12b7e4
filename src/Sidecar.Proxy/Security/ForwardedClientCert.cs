using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Security;

/// <summary>
/// Envoy's <c>forward_client_cert_details</c> for <c>x-forwarded-client-cert</c>. Istio's inbound sidecar uses
/// APPEND_FORWARD with <c>set_current_client_cert_details {subject, uri, dns}</c>: over mTLS the peer's element
/// (<c>By=&lt;own spiffe&gt;;Hash=&lt;sha256&gt;;Subject="";URI=&lt;peer spiffe&gt;</c>) is appended to what came in;
/// without mTLS Envoy removes the header (only ALWAYS_FORWARD_ONLY trusts a plaintext client's), so it cannot be
/// spoofed. SANITIZE_SET drops an incoming header and sets only the peer's.
/// </summary>
internal static class ForwardedClientCert
{
    public const string HeaderName = "x-forwarded-client-cert";

    /// <summary>The element for one peer certificate.</summary>
    public static string Element(string ownSpiffeId, string certificateHash, string? peerSpiffeId) =>
        $"By={ownSpiffeId};Hash={certificateHash};Subject=\"\";URI={peerSpiffeId}";

    /// <summary>APPEND_FORWARD: append the peer's element (comma-separated) over mTLS; remove the header otherwise.</summary>
    public static void AppendForward(IHeaderDictionary headers, MutualTlsPeer? peer)
    {
        if (peer is null)
        {
            headers.Remove(HeaderName);
            return;
        }

        headers[HeaderName] = headers.TryGetValue(HeaderName, out var existing) && existing.Count > 0
            ? string.Concat(existing.ToString(), ",", peer.ForwardedClientCert)
            : peer.ForwardedClientCert;
    }

    /// <summary>SANITIZE_SET: only the peer's element, never what the client sent.</summary>
    public static void SanitizeSet(IHeaderDictionary headers, MutualTlsPeer? peer)
    {
        headers.Remove(HeaderName);
        if (peer is not null)
        {
            headers[HeaderName] = peer.ForwardedClientCert;
        }
    }
}
