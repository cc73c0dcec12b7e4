using Sidecar.Init.PodFacts;

namespace Sidecar.Init.Tests.PodFacts;

public sealed class ResolvConfTests
{
    [Fact]
    public void Nameservers_are_split_by_family_and_the_rest_ignored()
    {
        var resolv = ResolvConf.Parse("# kubelet\nsearch default.svc.cluster.local\nnameserver 10.96.0.10\r\nnameserver\tFD00::A\nnameserver dns.example\noptions ndots:5\nnameserver 127.0.0.53 # local\n");

        Assert.Equal(["10.96.0.10", "127.0.0.53"], resolv.ServersV4);
        Assert.Equal(["fd00::a"], resolv.ServersV6);
    }
}
