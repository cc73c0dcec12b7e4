using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation;

/// <summary>meshConfig.pathNormalization.normalization, read from the istio ConfigMap into the snapshot.</summary>
public sealed class PathNormalizationTests
{
    [Theory]
    [InlineData(null, PathNormalization.Base)]
    [InlineData("DEFAULT", PathNormalization.Base)]
    [InlineData("BASE", PathNormalization.Base)]
    [InlineData("NONE", PathNormalization.None)]
    [InlineData("MERGE_SLASHES", PathNormalization.MergeSlashes)]
    [InlineData("DECODE_AND_MERGE_SLASHES", PathNormalization.DecodeAndMergeSlashes)]
    public void Each_of_Istios_modes_reaches_the_snapshot_and_unset_is_BASE(string? mode, PathNormalization expected)
    {
        var mesh = mode is null ? "trustDomain: cluster.local" : $"pathNormalization: {{normalization: {mode}}}";

        var config = Config(Bookinfo.All(Bookinfo.Services, MeshConfigMap(mesh)));

        Assert.Equal(expected, config.Mesh.PathNormalization);
    }

    [Fact]
    public void An_unknown_mode_is_refused_naming_the_field()
    {
        var error = Assert.Single(Errors(Bookinfo.All(Bookinfo.Services, MeshConfigMap("pathNormalization: {normalization: DECODE}"))));

        Assert.Contains("normalization", error.Field);
        Assert.Contains("MERGE_SLASHES", error.Message);
    }
}
