using Sidecar.Istio.Parsing;
using Sidecar.Istio.Translation;
using Sidecar.Model;

namespace Sidecar.Istio.Tests.Source;

/// <summary>
/// The standalone demo's two config directories (docker/standalone): Istio's API with ServiceEntries, and Kubernetes
/// Services and pods with a Gateway API route. Both must load and route reviews alike, to the same workloads.
/// </summary>
public sealed class DemoConfigTests
{
    [Theory]
    [InlineData("config", "outbound|9080|v2|reviews.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080|v3|reviews.default.svc.cluster.local")]
    [InlineData("kubernetes", "outbound|9080||reviews-v2.default.svc.cluster.local", "outbound|9080||reviews-v1.default.svc.cluster.local", "outbound|9080||reviews-v3.default.svc.cluster.local")]
    public void Each_demo_config_sends_jason_to_v2_and_splits_the_rest_80_20(string directory, string v2, string v1, string v3)
    {
        var parsed = IstioYamlParser.ParseDirectory(Path.Combine(RepositoryRoot(), "docker", "standalone", directory));
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Errors));
        var result = IstioConfigTranslator.Translate(parsed.Resources, new TranslationContext { Workload = new WorkloadInfo() });
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var config = result.Config!;

        var routes = config.Table("9080").VirtualHost("reviews.default.svc.cluster.local:9080").Routes;
        Assert.Equal("end-user", Assert.Single(routes[0].Match.Headers).Name);
        Assert.Equal(v2, Assert.Single(routes[0].Route!.Clusters).Cluster);
        Assert.Equal([(v1, 80), (v3, 20)], routes[1].Route!.Clusters.Select(c => (c.Cluster, c.Weight)));

        // The same workloads behind each destination: the ports demo.sh starts them on.
        Assert.Equal(["127.0.0.1:19083"], config.Cluster(v2).Endpoints.Select(e => e.ToString()));
        Assert.Equal(["127.0.0.1:19082"], config.Cluster(v1).Endpoints.Select(e => e.ToString()));
        Assert.Equal(["127.0.0.1:19084"], config.Cluster(v3).Endpoints.Select(e => e.ToString()));
        Assert.Equal(["127.0.0.1:19081"], config.Cluster("outbound|9080||ratings.default.svc.cluster.local").Endpoints.Select(e => e.ToString()));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sidecar.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Sidecar.sln above {AppContext.BaseDirectory}");
    }
}
