using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation;

/// <summary>meshConfig.protocolDetectionTimeout, read from the istio ConfigMap into the snapshot.</summary>
public sealed class ProtocolDetectionTimeoutTests
{
    [Fact]
    public void Unset_it_is_Istios_0s_which_waits_for_the_clients_first_bytes()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, MeshConfigMap("trustDomain: cluster.local")));

        Assert.Equal(TimeSpan.Zero, config.Mesh.ProtocolDetectionTimeout);
    }

    [Fact]
    public void A_set_value_reaches_the_snapshot()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, MeshConfigMap("protocolDetectionTimeout: 100ms")));

        Assert.Equal(TimeSpan.FromMilliseconds(100), config.Mesh.ProtocolDetectionTimeout);
    }
}
