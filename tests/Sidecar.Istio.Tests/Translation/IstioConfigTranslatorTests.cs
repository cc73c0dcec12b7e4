using Sidecar.Istio.Parsing;
using Sidecar.Istio.Translation;
using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation;

public sealed class IstioConfigTranslatorTests
{
    private static readonly string Everything = Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, Bookinfo.ReviewsJason, Bookinfo.RatingsDelayForJason);

    [Fact]
    public void The_version_is_a_stable_content_hash()
    {
        var first = Config(Everything);
        var second = Config(Everything);
        Assert.Equal(first.Version, second.Version);
        Assert.Matches("^[0-9a-f]{16}$", first.Version);
        Assert.NotEqual(first.Version, Config(Everything.Replace("fixedDelay: 7s", "fixedDelay: 5s", StringComparison.Ordinal)).Version);
        Assert.NotEqual(first.Version, Config(Everything.Replace("weight: 3", "weight: 4", StringComparison.Ordinal)).Version);
    }

    [Fact]
    public void The_origin_names_the_directory_and_the_resources()
    {
        var config = Config(Everything);
        Assert.Equal("files", config.Origin.Kind);
        Assert.Equal("/config", config.Origin.Location);
        Assert.Contains("VirtualService default/reviews", config.Origin.Resources);
        Assert.Contains("ServiceEntry default/ratings", config.Origin.Resources);
        Assert.Equal(8, config.Origin.Resources.Count);
    }

    [Fact]
    public void The_snapshot_passes_the_model_validator()
    {
        var config = Config(Everything);
        Assert.Empty(ProxyConfigValidator.Validate(config));
    }

    [Fact]
    public void An_invalid_resource_refuses_the_whole_set()
    {
        var parsed = IstioYamlParser.Parse(Bookinfo.All(Everything, Routes.RouteFixture.ReviewsVirtualService("- route: [{destination: {host: reviews}, weight: -1}]").Replace("name: reviews", "name: reviews-bad", StringComparison.Ordinal)));
        Assert.True(parsed.IsValid);
        var result = IstioConfigTranslator.Translate(parsed.Resources, new TranslationContext { Workload = Productpage });
        Assert.Null(result.Config);
        Assert.Equal("VirtualService default/reviews-bad", Assert.Single(result.Errors).Resource);
    }

    [Fact]
    public void A_listener_defined_by_both_egress_and_ingress_is_refused()
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default}
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: 127.0.0.9
              egress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: 127.0.0.9
                hosts: ["./*"]
            """));
        Assert.Contains(errors, e => e.Message.Contains("listener 127.0.0.9_9080 is defined twice", StringComparison.Ordinal));
    }
}
