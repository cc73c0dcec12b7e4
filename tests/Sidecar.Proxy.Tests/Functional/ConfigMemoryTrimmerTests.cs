using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sidecar.Model;

namespace Sidecar.Proxy.Tests.Functional;

public sealed class ConfigMemoryTrimmerTests
{
    [Fact]
    public async Task A_burst_of_pushes_costs_one_full_collection_after_the_quiet_period()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ProxyTestHost.StartAsync(Config("1"), time);
        var trimmer = host.Services.GetRequiredService<ConfigMemoryTrimmer>();
        var gen2Before = GC.CollectionCount(2);

        time.Advance(ConfigMemoryTrimmer.Quiet);
        Assert.Equal(1, trimmer.Collections);
        Assert.True(GC.CollectionCount(2) > gen2Before);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(trimmer.ReleasedBytes > 0, "read-only file pages (the executable's, the runtime's) were released");
        }

        Assert.Empty(host.Store.TryPublish(Config("2")));
        time.Advance(ConfigMemoryTrimmer.Quiet / 2);
        Assert.Empty(host.Store.TryPublish(Config("3")));
        time.Advance(ConfigMemoryTrimmer.Quiet / 2);
        Assert.Equal(1, trimmer.Collections);

        time.Advance(ConfigMemoryTrimmer.Quiet / 2);
        Assert.Equal(2, trimmer.Collections);
    }

    private static ProxyConfig Config(string version) => new()
    {
        Version = version,
        Origin = new ConfigOrigin("test", "memory", DateTimeOffset.UtcNow),
    };
}
