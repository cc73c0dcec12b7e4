using System.Net;
using System.Text;
using Sidecar.Model;
using Sidecar.Proxy.Upstream.ProxyProtocol;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>
/// The PROXY protocol header as Envoy's upstream proxy protocol transport socket writes it (Istio's DestinationRule
/// <c>trafficPolicy.proxyProtocol.version</c>), byte for byte against HAProxy's proxy-protocol.txt.
/// </summary>
public sealed class ProxyProtocolHeaderTests
{
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    [Fact]
    public void Version_1_is_one_text_line_naming_the_family_addresses_and_ports()
    {
        var header = ProxyProtocolHeader.For(ProxyProtocolVersion.V1, IPEndPoint.Parse("10.1.2.3:45678"), IPEndPoint.Parse("10.96.0.15:9080"));
        Assert.Equal("PROXY TCP4 10.1.2.3 10.96.0.15 45678 9080\r\n", Encoding.ASCII.GetString(header));

        var v6 = ProxyProtocolHeader.For(ProxyProtocolVersion.V1, IPEndPoint.Parse("[fd00::1%3]:1000"), IPEndPoint.Parse("[fd00::2]:80"));
        Assert.Equal("PROXY TCP6 fd00::1 fd00::2 1000 80\r\n", Encoding.ASCII.GetString(v6));
    }

    [Fact]
    public void Version_2_is_the_binary_PROXY_command_over_TCP_with_addresses_and_ports_in_network_order()
    {
        var header = ProxyProtocolHeader.For(ProxyProtocolVersion.V2, IPEndPoint.Parse("10.1.2.3:45678"), IPEndPoint.Parse("10.96.0.15:9080"));
        byte[] expected =
        [
            .. V2Signature,
            0x21, // version 2, PROXY
            0x11, // AF_INET, STREAM
            0x00, 12, // address block length
            10, 1, 2, 3, 10, 96, 0, 15,
            0xB2, 0x6E, // 45678
            0x23, 0x78, // 9080
        ];
        Assert.Equal(expected, header);

        var v6 = ProxyProtocolHeader.For(ProxyProtocolVersion.V2, IPEndPoint.Parse("[fd00::1]:1"), IPEndPoint.Parse("[fd00::2]:2"));
        Assert.Equal(16 + 36, v6.Length);
        Assert.Equal(0x21, v6[13]); // AF_INET6, STREAM
        Assert.Equal([0x00, 36], v6[14..16]);
        Assert.Equal(IPAddress.Parse("fd00::1").GetAddressBytes(), v6[16..32]);
        Assert.Equal(IPAddress.Parse("fd00::2").GetAddressBytes(), v6[32..48]);
        Assert.Equal([0, 1, 0, 2], v6[48..52]);
    }

    [Fact]
    public void A_dual_stack_sockets_mapped_IPv4_addresses_are_written_as_IPv4()
    {
        var header = ProxyProtocolHeader.For(ProxyProtocolVersion.V1, IPEndPoint.Parse("[::ffff:10.1.2.3]:5"), IPEndPoint.Parse("[::ffff:127.0.0.1]:15001"));
        Assert.Equal("PROXY TCP4 10.1.2.3 127.0.0.1 5 15001\r\n", Encoding.ASCII.GetString(header));
    }

    [Fact]
    public void Without_a_client_version_2_sends_LOCAL_and_version_1_the_upstream_connections_own_ends()
    {
        // Envoy's generateHeaderV2 without proxy protocol options (no downstream): the LOCAL command, no addresses.
        var local = ProxyProtocolHeader.WithoutClient(ProxyProtocolVersion.V2, IPEndPoint.Parse("10.1.2.3:5"), IPEndPoint.Parse("10.4.5.6:80"));
        Assert.Equal([.. V2Signature, 0x20, 0x00, 0x00, 0x00], local);

        // generateHeaderV1 defaults to the connection's local and remote addresses.
        var v1 = ProxyProtocolHeader.WithoutClient(ProxyProtocolVersion.V1, IPEndPoint.Parse("10.1.2.3:5"), IPEndPoint.Parse("10.4.5.6:80"));
        Assert.Equal("PROXY TCP4 10.1.2.3 10.4.5.6 5 80\r\n", Encoding.ASCII.GetString(v1));

        // A unix domain socket has no IP ends: the protocol's UNKNOWN.
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(ProxyProtocolHeader.WithoutClient(ProxyProtocolVersion.V1, null, null)));
    }
}
