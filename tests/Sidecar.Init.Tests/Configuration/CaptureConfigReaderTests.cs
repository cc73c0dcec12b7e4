using System.Net;
using Sidecar.Init.CommandLine;
using Sidecar.Init.Configuration;

namespace Sidecar.Init.Tests.Configuration;

public sealed class CaptureConfigReaderTests
{
    private static CaptureConfig Read(string[] args, Dictionary<string, string>? environment = null)
    {
        var env = environment ?? [];
        return CaptureConfigReader.Read(CommandLineParser.Parse([.. args, "--pod-ips", "10.0.0.1"], env.GetValueOrDefault), env.GetValueOrDefault);
    }

    [Fact]
    public void Defaults_are_istio_iptables_defaults()
    {
        var config = Read(["-u", "1337"]);

        Assert.Equal("15001", config.ProxyPort);
        Assert.Equal("15006", config.InboundCapturePort);
        Assert.Equal("15008", config.InboundTunnelPort);
        Assert.Equal(["1337"], config.ProxyGids);
        Assert.Equal(InterceptionMode.Redirect, config.InboundInterceptionMode);
        Assert.Equal("1337", config.InboundTProxyMark);
        Assert.Equal("133", config.InboundTProxyRouteTable);
        Assert.True(config.InboundPortsInclude.IsEmpty);
        Assert.False(config.OutboundIpRangesInclude.IsWildcard);
        Assert.Equal("127.0.0.1/32", config.HostIPv4LoopbackCidr);
        Assert.True(config.OwnerGroups.Except);
        Assert.Empty(config.OwnerGroups.Values);
        Assert.False(config.EnableIPv6);
    }

    [Fact]
    public void Proxy_gid_defaults_to_the_whole_uid_list()
    {
        Assert.Equal(["3", "4"], Read(["-u", "3,4"]).ProxyGids);
    }

    [Fact]
    public void Proxy_uid_defaults_to_1337_when_envoy_user_is_unknown()
    {
        var config = Read([], new() { ["ENVOY_USER"] = "no-such-user-here" });

        Assert.Equal(["1337"], config.ProxyUids);
    }

    [Fact]
    public void Cidr_lists_are_split_by_family_and_printed_as_given()
    {
        var config = Read(["-u", "1337", "-i", "10.1.2.3/8,2001:DB8:0:0::/32", "-x", "1.1.0.0/16"]);

        Assert.Equal(["10.1.2.3/8"], config.OutboundIpRangesInclude.IPv4.Prefixes.Select(p => p.ToString()));
        Assert.Equal(["2001:db8::/32"], config.OutboundIpRangesInclude.IPv6.Prefixes.Select(p => p.ToString()));
        Assert.Equal(["1.1.0.0/16"], config.OutboundIpRangesExclude.IPv4.Prefixes.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("invalid value \"80,http\" for -b/--istio-inbound-ports: \"http\" is not a port number (1-65535)", "-b", "80,http")]
    [InlineData("invalid value \"0\" for -p/--envoy-port: not a port number (1-65535)", "-p", "0")]
    [InlineData("invalid value \"65536\" for -z/--inbound-capture-port: not a port number (1-65535)", "-z", "65536")]
    [InlineData("invalid value \"*\" for -d/--istio-local-exclude-ports: \"*\" is not a port number (1-65535)", "-d", "*")]
    [InlineData("invalid value \"10.0.0.0\" for -i/--istio-service-cidr: \"10.0.0.0\" is not a CIDR (address/length)", "-i", "10.0.0.0")]
    [InlineData("invalid value \"10.0.0.0/33\" for -i/--istio-service-cidr: \"10.0.0.0/33\" is not a CIDR (address/length)", "-i", "10.0.0.0/33")]
    [InlineData("invalid value \"010.0.0.0/8\" for -x/--istio-service-exclude-cidr: \"010.0.0.0/8\" is not a CIDR (address/length)", "-x", "010.0.0.0/8")]
    [InlineData("invalid value \"*\" for -x/--istio-service-exclude-cidr: \"*\" is not allowed here", "-x", "*")]
    [InlineData("invalid value \"redirect\" for -m/--istio-inbound-interception-mode: unknown mode (expected REDIRECT or TPROXY)", "-m", "redirect")]
    [InlineData("invalid value \"0x539\" for -t/--istio-inbound-tproxy-mark: not a positive 32-bit number", "-t", "0x539")]
    [InlineData("invalid value \"1337 1338\" for -u/--proxy-uid: \"1337 1338\" is not a uid/gid or a user/group name", "-u", "1337 1338")]
    [InlineData("invalid value \"eth0/1\" for -c/--istio-exclude-interfaces: \"eth0/1\" is not an interface name", "-c", "eth0/1")]
    [InlineData("invalid value \"iptables\" for --force-iptables-binary: expected legacy or nft", "--force-iptables-binary", "iptables")]
    public void Invalid_flag_values_are_refused_naming_the_flag(string message, string flag, string value)
    {
        var error = Assert.Throws<OptionException>(() => Read(["-u", "1337", flag, value]));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void An_invalid_environment_value_names_the_variable()
    {
        var error = Assert.Throws<OptionException>(() => Read(["-u", "1337"], new() { ["ISTIO_META_DNS_CAPTURE"] = "yes" }));

        Assert.Equal("invalid value \"yes\" for ISTIO_META_DNS_CAPTURE (for --redirect-dns): expected true or false", error.Message);
    }

    [Theory]
    [InlineData("10.0.0.1/32")]
    [InlineData("127.0.0.1/7")]
    [InlineData("::1/128")]
    public void The_loopback_cidr_must_be_an_ipv4_loopback_prefix_of_8_to_32_bits(string cidr)
    {
        // Istio's ValidateIPv4LoopbackCidr.
        var error = Assert.Throws<OptionException>(() => Read(["-u", "1337"], new() { ["ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR"] = cidr }));

        Assert.StartsWith($"invalid value \"{cidr}\" for ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_most_64_owner_groups_can_be_captured()
    {
        var groups = string.Join(',', Enumerable.Range(1000, 65));

        var error = Assert.Throws<OptionException>(() => Read(["-u", "1337"], new() { ["ISTIO_OUTBOUND_OWNER_GROUPS"] = groups }));

        Assert.Contains("at most 64 owner groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nameservers_are_read_only_when_dns_is_redirected_to_them()
    {
        var resolv = Path.GetTempFileName();
        try
        {
            File.WriteAllText(resolv, "search cluster.local\nnameserver 10.96.0.10\nnameserver fd00:10:96::a\nnameserver not-an-ip\noptions ndots:5\n");

            var redirected = Read(["-u", "1337", "--redirect-dns", "--resolv-conf", resolv]);
            var all = Read(["-u", "1337", "--redirect-dns", "--capture-all-dns", "--resolv-conf", "/nonexistent"]);

            Assert.Equal(["10.96.0.10"], redirected.DnsServersV4);
            Assert.Equal(["fd00:10:96::a"], redirected.DnsServersV6);
            Assert.Empty(all.DnsServersV4);
        }
        finally
        {
            File.Delete(resolv);
        }
    }

    [Fact]
    public void An_unreadable_resolv_conf_is_an_error()
    {
        var error = Assert.Throws<OptionException>(() => Read(["-u", "1337", "--redirect-dns", "--resolv-conf", "/nonexistent/resolv.conf"]));

        Assert.StartsWith("failed to load /nonexistent/resolv.conf", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1,fd00::1", false, false, "10.0.0.1")]
    [InlineData("10.0.0.1,fd00::1", true, true, "10.0.0.1")]
    [InlineData("fd00::1,10.0.0.1", false, true, "fd00::1")]
    [InlineData("127.0.0.1,fe80::1,169.254.1.1,10.0.0.1", true, false, "10.0.0.1")]
    [InlineData("::ffff:10.0.0.1", false, false, "10.0.0.1")]
    public void The_pod_is_ipv6_when_its_deciding_address_is(string podIps, bool dualStack, bool ipv6, string hostIp)
    {
        // getLocalIP: the first address outside loopback and link-local decides; with dual stack, any IPv6 one does.
        string[] args = dualStack ? ["-u", "1", "--pod-ips", podIps, "--dual-stack"] : ["-u", "1", "--pod-ips", podIps];

        var config = CaptureConfigReader.Read(CommandLineParser.Parse(args, _ => null), _ => null);

        Assert.Equal(ipv6, config.EnableIPv6);
        Assert.Equal(IPAddress.Parse(hostIp), config.HostIp);
    }

    [Fact]
    public void A_pod_without_a_usable_address_is_an_error()
    {
        var error = Assert.Throws<OptionException>(() =>
            CaptureConfigReader.Read(CommandLineParser.Parse(["--pod-ips", "127.0.0.1,::1,fe80::1"], _ => null), _ => null));

        Assert.StartsWith("no valid local IP address found", error.Message, StringComparison.Ordinal);
    }
}
