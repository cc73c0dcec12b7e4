using System.Buffers;
using System.Text;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Tests.Listeners;

/// <summary>Envoy's http_inspector and tls_inspector on first bytes.</summary>
public sealed class ProtocolSnifferTests
{
    private static SniffedProtocol Sniff(string text) => ProtocolSniffer.Sniff(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)));

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", nameof(SniffedProtocol.Http1))]
    [InlineData("POST /api HTTP/1.0\r\n", nameof(SniffedProtocol.Http1))]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", nameof(SniffedProtocol.Http2))]
    [InlineData("PRI * HTTP/2.0\r\n", nameof(SniffedProtocol.NeedMore))]
    [InlineData("GET / HTT", nameof(SniffedProtocol.NeedMore))]
    [InlineData("GET", nameof(SniffedProtocol.NeedMore))]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n", nameof(SniffedProtocol.Opaque))]
    [InlineData("GET / SIP/2.0\r\n", nameof(SniffedProtocol.Opaque))]
    [InlineData("\u0001\u0002binary", nameof(SniffedProtocol.Opaque))]
    [InlineData("ping", nameof(SniffedProtocol.Opaque))] // llhttp knows no lower-case method: opaque without waiting
    [InlineData("M-SEARCH * HTTP/1.1\r\n", nameof(SniffedProtocol.Http1))]
    public void Classifies_first_bytes(string text, string expected) => Assert.Equal(expected, Sniff(text).ToString());

    [Fact]
    public void A_tls_client_hello_gives_sni_and_alpn()
    {
        var hello = TlsClientHelloBuilder.Build("reviews.default.svc.cluster.local", "istio-http/1.1", "istio", "http/1.1");
        var data = new ReadOnlySequence<byte>(hello);

        Assert.Equal(SniffedProtocol.Tls, ProtocolSniffer.Sniff(data));
        Assert.Equal(SniffedProtocol.Tls, TlsClientHello.TryParse(data, out var parsed));
        Assert.Equal("reviews.default.svc.cluster.local", parsed.ServerName);
        Assert.Equal(["istio-http/1.1", "istio", "http/1.1"], parsed.ApplicationProtocols);
        Assert.Equal(SniffedProtocol.NeedMore, TlsClientHello.TryParse(data.Slice(0, hello.Length - 10), out _));
    }
}
