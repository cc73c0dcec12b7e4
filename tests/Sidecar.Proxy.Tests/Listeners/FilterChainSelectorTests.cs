using System.Net;
using Sidecar.Model;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Tests.Listeners;

/// <summary>Envoy's filter_chain_match precedence.</summary>
public sealed class FilterChainSelectorTests
{
    private static FilterChainConfig Chain(string name, FilterChainMatchConfig match) =>
        new() { Name = name, Match = match, Tcp = new TcpProxyConfig { Clusters = [new WeightedClusterConfig { Cluster = name }] } };

    private static readonly ListenerConfig Listener = new()
    {
        Name = "0.0.0.0_443",
        Port = 443,
        FilterChains =
        [
            Chain("wildcard-sni", new FilterChainMatchConfig { ServerNames = ["*.example.com"], TransportProtocol = "tls" }),
            Chain("exact-sni", new FilterChainMatchConfig { ServerNames = ["api.example.com"], TransportProtocol = "tls" }),
            Chain("subnet", new FilterChainMatchConfig { PrefixRanges = ["10.0.0.0/8"] }),
            Chain("host", new FilterChainMatchConfig { PrefixRanges = ["10.1.2.3/32"] }),
            Chain("h2", new FilterChainMatchConfig { ApplicationProtocols = ["h2c"] }),
        ],
        DefaultFilterChain = Chain("passthrough", FilterChainMatchConfig.Any),
    };

    private static SniffResult Tls(string sni) => new(SniffedProtocol.Tls, new TlsClientHello(sni, []));

    [Fact]
    public void Exact_server_name_beats_a_wildcard() =>
        Assert.Equal("exact-sni", FilterChainSelector.Select(Listener, new IPEndPoint(IPAddress.Parse("192.168.0.1"), 443), Tls("api.example.com"))!.Name);

    [Fact]
    public void Wildcard_server_name() =>
        Assert.Equal("wildcard-sni", FilterChainSelector.Select(Listener, new IPEndPoint(IPAddress.Parse("192.168.0.1"), 443), Tls("www.example.com"))!.Name);

    [Fact]
    public void Longest_destination_prefix_wins() =>
        Assert.Equal("host", FilterChainSelector.Select(Listener, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 443), new SniffResult(SniffedProtocol.Opaque))!.Name);

    [Fact]
    public void Nothing_matching_falls_to_the_default_chain() =>
        Assert.Equal("passthrough", FilterChainSelector.Select(Listener, new IPEndPoint(IPAddress.Parse("192.168.0.1"), 443), Tls("other.org"))!.Name);

    [Theory]
    [InlineData("10.0.0.0/8", "10.200.1.1", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.1.2.0/23", "10.1.3.9", true)]
    [InlineData("10.1.2.0/23", "10.1.4.1", false)]
    [InlineData("fd00::/8", "fd12::1", true)]
    [InlineData("10.1.2.3", "10.1.2.3", true)]
    public void Cidr_contains(string cidr, string address, bool expected)
    {
        Assert.True(Cidr.TryParse(cidr, out var range));
        Assert.Equal(expected, range.Contains(IPAddress.Parse(address)));
    }
}
