using Sidecar.Model;

namespace Sidecar.Model.Tests;

/// <summary>Istio's <c>region/zone/subzone</c> text against Envoy's <c>config.core.v3.Locality</c> fields.</summary>
public sealed class LocalityPartsTests
{
    [Theory]
    [InlineData("us-east1/us-east1-b/rack7", "us-east1", "us-east1-b", "rack7")]
    [InlineData("us-east1/us-east1-b", "us-east1", "us-east1-b", "")]
    [InlineData("us-east1", "us-east1", "", "")]
    [InlineData("", "", "", "")]
    [InlineData(null, "", "", "")]
    public void Missing_parts_are_empty_as_in_Envoys_protos(string? text, string region, string zone, string subzone) =>
        Assert.Equal(new LocalityParts(region, zone, subzone), LocalityParts.Parse(text));

    [Theory]
    [InlineData("us-east1", "us-east1-b", "rack7", "us-east1/us-east1-b/rack7")]
    [InlineData("us-east1", "", "", "us-east1")]
    [InlineData("", "", "", null)]
    public void The_text_drops_trailing_empty_parts_and_an_empty_locality_is_none(string region, string zone, string subzone, string? expected) =>
        Assert.Equal(expected, new LocalityParts(region, zone, subzone).ToText());
}
