using Sidecar.Istio.Parsing;
using Sidecar.Istio.Translation;
using Sidecar.Model;

namespace Sidecar.Istio.Tests;

/// <summary>Parses and translates YAML for tests, failing with every error when it does not translate.</summary>
internal static class TranslationFixture
{
    /// <summary>The proxy most tests translate for: productpage in <c>default</c>.</summary>
    public static readonly WorkloadInfo Productpage = new()
    {
        PodName = "productpage-v1-abc",
        Namespace = "default",
        WorkloadName = "productpage-v1",
        Labels = Labels.From(("app", "productpage"), ("version", "v1")),
        ServiceAccount = "bookinfo-productpage",
        InstanceIps = ["10.1.0.41"],
    };

    public static TranslationResult Translate(string yaml, WorkloadInfo? workload = null, OutboundTrafficPolicy? policy = null, bool autoAllocateAddresses = false)
    {
        var parsed = IstioYamlParser.Parse(yaml, "test.yaml");
        Assert.True(parsed.IsValid, "parse errors:\n" + string.Join("\n", parsed.Errors));
        return IstioConfigTranslator.Translate(parsed.Resources, new TranslationContext
        {
            Workload = workload ?? Productpage,
            OutboundTrafficPolicy = policy,
            AutoAllocateAddresses = autoAllocateAddresses,
            Location = "/config",
            LoadedAt = DateTimeOffset.UnixEpoch,
        });
    }

    /// <summary>Istio's mesh config ConfigMap (<c>istio</c> in istio-system) with <paramref name="mesh"/> as its <c>data.mesh</c> (one line of YAML).</summary>
    public static string MeshConfigMap(string mesh) => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: "{{mesh}}"
        """;

    public static ProxyConfig Config(string yaml, WorkloadInfo? workload = null, OutboundTrafficPolicy? policy = null, bool autoAllocateAddresses = false)
    {
        var result = Translate(yaml, workload, policy, autoAllocateAddresses);
        Assert.True(result.IsValid, "translation errors:\n" + string.Join("\n", result.Errors));
        return result.Config!;
    }

    /// <summary>The errors of YAML that must be refused (by the parser or the translator).</summary>
    public static IReadOnlyList<ConfigError> Errors(string yaml, WorkloadInfo? workload = null)
    {
        var parsed = IstioYamlParser.Parse(yaml, "test.yaml");
        if (!parsed.IsValid)
        {
            return parsed.Errors;
        }

        var result = IstioConfigTranslator.Translate(parsed.Resources, new TranslationContext { Workload = workload ?? Productpage });
        Assert.False(result.IsValid, "expected the config to be refused");
        return result.Errors;
    }

    public static ClusterConfig Cluster(this ProxyConfig config, string name) =>
        config.FindCluster(name) ?? throw new Xunit.Sdk.XunitException($"no cluster {name}; have: {string.Join(", ", config.Clusters.Select(c => c.Name))}");

    public static RouteTableConfig Table(this ProxyConfig config, string name) =>
        config.FindRouteTable(name) ?? throw new Xunit.Sdk.XunitException($"no route table {name}; have: {string.Join(", ", config.RouteTables.Select(c => c.Name))}");

    public static VirtualHostConfig VirtualHost(this RouteTableConfig table, string name) =>
        table.VirtualHosts.FirstOrDefault(v => v.Name == name) ?? throw new Xunit.Sdk.XunitException($"no virtual host {name} in {table.Name}; have: {string.Join(", ", table.VirtualHosts.Select(v => v.Name))}");

    public static ListenerConfig Listener(this ProxyConfig config, string name) =>
        config.Listeners.FirstOrDefault(l => l.Name == name) ?? throw new Xunit.Sdk.XunitException($"no listener {name}; have: {string.Join(", ", config.Listeners.Select(l => l.Name))}");
}
