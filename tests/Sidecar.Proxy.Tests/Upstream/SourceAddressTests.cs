using System.Net;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>Where upstream connections come from: the cluster's bind address (upstream_bind_config), else the sidecar's own loopback address toward loopback endpoints.</summary>
public sealed class SourceAddressTests
{
    private static readonly IPAddress Sidecar = IPAddress.Parse("127.0.0.10");

    [Fact]
    public void A_sidecar_on_its_own_loopback_address_calls_loopback_endpoints_from_it()
    {
        var loopback = SourceAddress.LoopbackSourceFor(Sidecar);

        Assert.Equal(Sidecar, SourceAddress.For(null, loopback, "127.0.0.11"));
        Assert.Null(SourceAddress.For(null, loopback, "10.0.0.7")); // not reachable from a loopback source
        Assert.Null(SourceAddress.For(null, loopback, "reviews.default.svc.cluster.local"));
    }

    [Fact]
    public void The_clusters_bind_address_wins_and_pods_leave_the_choice_to_the_kernel()
    {
        var inboundPassthrough = IPAddress.Parse("127.0.0.6");

        Assert.Equal(inboundPassthrough, SourceAddress.For(inboundPassthrough, SourceAddress.LoopbackSourceFor(Sidecar), "127.0.0.1"));
        Assert.Null(SourceAddress.LoopbackSourceFor(IPAddress.Any));
        Assert.Null(SourceAddress.LoopbackSourceFor(IPAddress.Loopback));
    }
}
