using System.Collections;
using Sidecar.Model;
using Sidecar.Xds.Client;

namespace Sidecar.Xds.Tests;

/// <summary>The node presented to istiod, as pilot-agent's bootstrap builds it.</summary>
public sealed class NodeBuilderTests
{
    [Fact]
    public void The_node_carries_istios_id_cluster_and_the_metadata_istiod_reads()
    {
        var workload = new WorkloadInfo
        {
            PodName = "reviews-v1-7d9c",
            Namespace = "bookinfo",
            WorkloadName = "reviews-v1",
            ServiceAccount = "bookinfo-reviews",
            InstanceIps = ["10.1.2.3"],
            Labels = Labels.From(("app", "reviews"), ("version", "v1")),
            Locality = "us-east1/us-east1-b",
        };
        var environment = new Hashtable
        {
            ["ISTIO_META_POD_PORTS"] = "[{\"containerPort\":9080,\"protocol\":\"TCP\"}]",
            ["ISTIO_METAJSON_ANNOTATIONS"] = "{\"sidecar.istio.io/inject\":\"true\",\"proxy.istio.io/config\":\"{}\"}",
            ["ISTIO_METAJSON_BROKEN"] = "{not json",
            ["PATH"] = "/usr/bin",
        };

        var node = NodeBuilder.Build(new XdsOptions
        {
            Address = new Uri("https://istiod.istio-system.svc:15012"),
            Workload = workload,
            EnvironmentMetadata = NodeBuilder.FromEnvironment(environment),
        });

        Assert.Equal("sidecar~10.1.2.3~reviews-v1-7d9c.bookinfo~bookinfo.svc.cluster.local", node.Id);
        Assert.Equal("reviews.bookinfo", node.Cluster);
        Assert.Equal(("us-east1", "us-east1-b", ""), (node.Locality.Region, node.Locality.Zone, node.Locality.SubZone));
        var metadata = node.Metadata.Fields;
        Assert.Equal("bookinfo-reviews", metadata["SERVICE_ACCOUNT"].StringValue);
        Assert.Equal("10.1.2.3", metadata["INSTANCE_IPS"].StringValue);
        Assert.Equal("v1", metadata["LABELS"].StructValue.Fields["version"].StringValue);
        Assert.Equal("kubernetes://apis/apps/v1/namespaces/bookinfo/deployments/reviews-v1", metadata["OWNER"].StringValue);
        Assert.Equal(NodeBuilder.IstioVersion, metadata["ISTIO_VERSION"].StringValue);
        // ISTIO_META_ values are strings; ISTIO_METAJSON_ values keep their JSON shape (istiod reads ANNOTATIONS as a map).
        Assert.Equal("[{\"containerPort\":9080,\"protocol\":\"TCP\"}]", metadata["POD_PORTS"].StringValue);
        Assert.Equal("true", metadata["ANNOTATIONS"].StructValue.Fields["sidecar.istio.io/inject"].StringValue);
        Assert.False(metadata.ContainsKey("BROKEN"));
        Assert.False(metadata.ContainsKey("PATH"));
    }

    [Fact]
    public void With_DNS_capture_the_node_says_DNS_CAPTURE_true_as_pilot_agent_does_so_istiod_builds_its_name_table()
    {
        var workload = new WorkloadInfo { PodName = "reviews-v1-7d9c", Namespace = "bookinfo" };
        var address = new Uri("http://istiod.istio-system.svc:15010");

        var capturing = NodeBuilder.Build(new XdsOptions { Address = address, Workload = workload, DnsCapture = true });
        var plain = NodeBuilder.Build(new XdsOptions { Address = address, Workload = workload });

        Assert.Equal("true", capturing.Metadata.Fields["DNS_CAPTURE"].StringValue);
        Assert.False(plain.Metadata.Fields.ContainsKey("DNS_CAPTURE"));
    }

    [Fact]
    public void With_auto_allocation_the_node_says_DNS_AUTO_ALLOCATE_true_so_istiod_gives_service_entries_addresses()
    {
        var workload = new WorkloadInfo { PodName = "reviews-v1-7d9c", Namespace = "bookinfo" };
        var address = new Uri("http://istiod.istio-system.svc:15010");

        var allocating = NodeBuilder.Build(new XdsOptions { Address = address, Workload = workload, DnsCapture = true, DnsAutoAllocate = true });
        var capturing = NodeBuilder.Build(new XdsOptions { Address = address, Workload = workload, DnsCapture = true });

        Assert.Equal("true", allocating.Metadata.Fields["DNS_AUTO_ALLOCATE"].StringValue);
        Assert.False(capturing.Metadata.Fields.ContainsKey("DNS_AUTO_ALLOCATE"));
    }
}
