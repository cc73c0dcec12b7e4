using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Security;

namespace Sidecar.Proxy.Tests.Security;

/// <summary>Envoy's <c>forward_client_cert_details</c> modes for <c>x-forwarded-client-cert</c>.</summary>
public sealed class ForwardedClientCertTests
{
    private static readonly MutualTlsPeer Peer = new("spiffe://cluster.local/ns/default/sa/client", "ab12",
        ForwardedClientCert.Element("spiffe://cluster.local/ns/default/sa/server", "ab12", "spiffe://cluster.local/ns/default/sa/client"));

    [Fact]
    public void APPEND_FORWARD_appends_the_peer_to_what_came_in()
    {
        var headers = new HeaderDictionary { ["x-forwarded-client-cert"] = "By=spiffe://a;URI=spiffe://b" };
        ForwardedClientCert.AppendForward(headers, Peer);
        Assert.Equal("By=spiffe://a;URI=spiffe://b,By=spiffe://cluster.local/ns/default/sa/server;Hash=ab12;Subject=\"\";URI=spiffe://cluster.local/ns/default/sa/client",
            headers["x-forwarded-client-cert"].ToString());
    }

    [Fact]
    public void APPEND_FORWARD_removes_a_header_sent_without_mtls()
    {
        var headers = new HeaderDictionary { ["x-forwarded-client-cert"] = "URI=spiffe://cluster.local/ns/default/sa/admin" };
        ForwardedClientCert.AppendForward(headers, null);
        Assert.False(headers.ContainsKey("x-forwarded-client-cert"));
    }

    [Fact]
    public void SANITIZE_SET_replaces_what_came_in_with_the_peer()
    {
        var headers = new HeaderDictionary { ["x-forwarded-client-cert"] = "URI=spiffe://forged" };
        ForwardedClientCert.SanitizeSet(headers, Peer);
        Assert.Equal(Peer.ForwardedClientCert, headers["x-forwarded-client-cert"].ToString());
    }
}
