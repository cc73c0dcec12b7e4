using Sidecar.Model;

namespace Sidecar.Model.Tests;

public sealed class EquatableArrayTests
{
    [Fact]
    public void Records_with_equal_arrays_are_equal()
    {
        var a = new VirtualHostConfig { Name = "reviews:9080", Domains = ["reviews", "reviews:9080"] };
        var b = new VirtualHostConfig { Name = "reviews:9080", Domains = ["reviews", "reviews:9080"] };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Domains = ["reviews"] });
    }

    [Fact]
    public void Default_is_empty()
    {
        EquatableArray<string> empty = default;
        Assert.True(empty.IsEmpty);
        Assert.Equal(EquatableArray<string>.Empty, empty);
        Assert.Equal(empty, EquatableArray.From(Array.Empty<string>()));
    }
}
