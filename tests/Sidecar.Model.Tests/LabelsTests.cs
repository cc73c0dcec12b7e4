using Sidecar.Model;

namespace Sidecar.Model.Tests;

public sealed class LabelsTests
{
    [Fact]
    public void Subset_selector_matches_superset_of_labels()
    {
        var endpoint = Labels.From(("app", "reviews"), ("version", "v1"), ("security.istio.io/tlsMode", "istio"));
        Assert.True(endpoint.IsSupersetOf(Labels.From(("version", "v1"))));
        Assert.False(endpoint.IsSupersetOf(Labels.From(("version", "v2"))));
        Assert.True(endpoint.IsSupersetOf(Labels.Empty));
    }

    [Fact]
    public void Parses_command_line_form()
    {
        Assert.True(Labels.TryParse("app=reviews, version=v1", out var labels, out _));
        Assert.Equal("v1", labels["version"]);
        Assert.False(Labels.TryParse("app", out _, out var error));
        Assert.Contains("key=value", error);
    }

    [Fact]
    public void Equality_ignores_insertion_order()
    {
        Assert.Equal(Labels.From(("a", "1"), ("b", "2")), Labels.From(("b", "2"), ("a", "1")));
    }
}
