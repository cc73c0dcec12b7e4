using Sidecar.Init.Configuration;

namespace Sidecar.Init.Tests.Configuration;

public sealed class IpPrefixTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("10.1.2.3/8", "10.1.2.3/8")] // netip.Prefix keeps host bits as written
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:DB8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128")]
    [InlineData("::/0", "::/0")]
    [InlineData("::ffff:1.2.3.4/128", "::ffff:1.2.3.4/128")]
    public void Valid_prefixes_print_as_go_prints_them(string text, string printed)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix));
        Assert.Equal(printed, prefix.ToString());
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10/8")]
    [InlineData("10.0.0/8")]
    [InlineData("10.0.0.0.0/8")]
    [InlineData("010.0.0.0/8")]
    [InlineData("256.0.0.0/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/08")]
    [InlineData("10.0.0.0/")]
    [InlineData("/8")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("2001:db8::/129")]
    [InlineData("example.com/32")]
    public void Anything_else_is_refused(string text)
    {
        Assert.False(IpPrefix.TryParse(text, out _));
    }

    [Fact]
    public void A_cidr_list_is_split_by_family_and_notes_loopback()
    {
        Assert.True(CidrList.TryParse("127.1.2.3/32,,10.0.0.0/8,::1/128", out var list, out _));

        Assert.Equal(2, list.IPv4.Prefixes.Count);
        Assert.True(list.IPv4.HasLoopback);
        Assert.True(list.IPv6.HasLoopback);
        Assert.False(list.IsWildcard);
    }
}
