using Istio.Networking.Nds.V1;
using Sidecar.Model;
using Sidecar.Xds.Client;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Tests;

/// <summary>istiod's NDS name table (istio.networking.nds.v1.NameTable) read into the model's name table.</summary>
public sealed class NameTableTranslatorTests
{
    [Fact]
    public void NameInfo_fields_map_to_the_model_sorted_by_host_with_an_empty_registry_as_External()
    {
        var table = new NameTable
        {
            Table =
            {
                ["reviews.default.svc.cluster.local"] = new NameTable.Types.NameInfo
                {
                    Ips = { "10.96.0.20", "fd00::20" },
                    Registry = "Kubernetes",
                    Shortname = "reviews",
                    Namespace = "default",
                },
                // A ServiceEntry host: istiod leaves shortname and namespace empty; a trailing dot is the same host.
                ["api.example.com."] = new NameTable.Types.NameInfo { Ips = { "240.240.0.1" }, AltHosts = { "api.example.com.default" } },
            },
        };

        var names = NameTableTranslator.Translate(table);

        Assert.Equal(["api.example.com", "reviews.default.svc.cluster.local"], names.Select(n => n.Host));
        Assert.Equal(
            new NameInfoConfig { Host = "api.example.com", Ips = ["240.240.0.1"], Registry = NameInfoConfig.ExternalRegistry, AltHosts = ["api.example.com.default"] },
            names[0]);
        Assert.Equal(
            new NameInfoConfig { Host = "reviews.default.svc.cluster.local", Ips = ["10.96.0.20", "fd00::20"], Registry = NameInfoConfig.KubernetesRegistry, ShortName = "reviews", Namespace = "default" },
            names[1]);
    }

    [Fact]
    public void The_snapshot_carries_the_NDS_table_once_received_and_none_before()
    {
        var options = new XdsOptions { Address = new Uri("http://istiod:15010"), Workload = new WorkloadInfo { PodName = "p", Namespace = "default" }, DnsCapture = true };
        var table = new NameTable { Table = { ["reviews.default.svc.cluster.local"] = new NameTable.Types.NameInfo { Ips = { "10.96.0.20" }, Registry = "Kubernetes" } } };

        var before = XdsSnapshotBuilder.Build(XdsResources.Empty, options, "1", DateTimeOffset.UnixEpoch, new TranslationErrors());
        var after = XdsSnapshotBuilder.Build(XdsResources.Empty with { NameTable = table }, options, "2", DateTimeOffset.UnixEpoch, new TranslationErrors());

        Assert.True(before.NameTable.IsEmpty);
        Assert.Equal("reviews.default.svc.cluster.local", Assert.Single(after.NameTable).Host);
        // Readiness does not wait on NDS: istiod sends no table when it builds none.
        Assert.False((XdsResources.Empty with { NameTable = table }).IsComplete);
    }
}
