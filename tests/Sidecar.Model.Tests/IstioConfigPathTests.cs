using Sidecar.Model;

namespace Sidecar.Model.Tests;

/// <summary>istiod's <c>istio.config</c> metadata paths, written by the config dump and read back by the xDS source.</summary>
public sealed class IstioConfigPathTests
{
    [Theory]
    [InlineData("VirtualService default/reviews", "/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews")]
    [InlineData("DestinationRule bookinfo/ratings, DestinationRule bookinfo/ratings-extra", "/apis/networking.istio.io/v1/namespaces/bookinfo/destination-rule/ratings")]
    [InlineData("HTTPRoute default/reviews", "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproute/reviews")]
    [InlineData("ServiceEntry default/x", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_istio_config_metadata_names_the_resource_as_istiod_does(string? origin, string? expected) =>
        Assert.Equal(expected, IstioConfigPath.FromOrigin(origin));

    [Theory]
    [InlineData("/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews", "VirtualService default/reviews")]
    [InlineData("/apis/networking.istio.io/v1/namespaces/bookinfo/destination-rule/ratings", "DestinationRule bookinfo/ratings")]
    [InlineData("/apis/gateway.networking.k8s.io/v1/namespaces/default/grpcroute/echo", "GRPCRoute default/echo")]
    [InlineData("/apis/networking.istio.io/v1/namespaces/default/sidecar/default", "sidecar default/default")]
    [InlineData("/apis/networking.istio.io/v1/virtual-service/reviews", null)]
    [InlineData(null, null)]
    public void Istiods_path_reads_back_as_the_origin_of_the_resource(string? path, string? expected) =>
        Assert.Equal(expected, IstioConfigPath.ToOrigin(path));
}
