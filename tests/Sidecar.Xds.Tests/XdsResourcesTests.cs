using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Istio.Networking.Nds.V1;
using Sidecar.Xds.Client;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Tests;

/// <summary>
/// How a response of either ADS protocol changes what is held: state of the world replaces a wildcard type whole and
/// updates the named types by name; delta adds, replaces and removes by name (xDS protocol, "Incremental xDS").
/// </summary>
public sealed class XdsResourcesTests
{
    private static readonly XdsResources Held = XdsResources.Empty
        .Apply(XdsTypeUrls.Cluster, [Any.Pack(new Cluster { Name = "a" }), Any.Pack(new Cluster { Name = "b" })], [], replaceType: true, new TranslationErrors())
        .Apply(XdsTypeUrls.Endpoints, [Any.Pack(new ClusterLoadAssignment { ClusterName = "a" }), Any.Pack(new ClusterLoadAssignment { ClusterName = "b" })], [], replaceType: false, new TranslationErrors());

    [Fact]
    public void A_state_of_the_world_response_of_a_wildcard_type_replaces_every_resource_of_it()
    {
        var after = Held.Apply(XdsTypeUrls.Cluster, [Any.Pack(new Cluster { Name = "c" })], [], replaceType: true, new TranslationErrors());

        Assert.Equal(["c"], after.Clusters.Keys);
        Assert.True(after.HasClusters);
    }

    [Fact]
    public void A_delta_response_replaces_and_adds_by_name_and_removes_what_it_names()
    {
        var replaced = new Cluster { Name = "a", ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(3)) };

        var after = Held.Apply(XdsTypeUrls.Cluster, [Any.Pack(replaced), Any.Pack(new Cluster { Name = "c" })], ["b"], replaceType: false, new TranslationErrors());

        Assert.Equal(["a", "c"], after.Clusters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(replaced, after.Clusters["a"]);
        // The endpoints are another type: untouched until their own response (or unsubscription) says otherwise.
        Assert.Equal(["a", "b"], after.Endpoints.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["a", "b"], Held.Clusters.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_name_table_is_replaced_by_a_response_emptied_by_its_removal_and_kept_otherwise()
    {
        var table = new NameTable { Table = { ["reviews.default.svc.cluster.local"] = new NameTable.Types.NameInfo { Ips = { "10.96.0.20" } } } };
        var held = Held.Apply(XdsTypeUrls.NameTable, [Any.Pack(table)], [], replaceType: false, new TranslationErrors());

        Assert.Equal(table, held.NameTable);
        Assert.Equal(table, held.Apply(XdsTypeUrls.NameTable, [], [], replaceType: false, new TranslationErrors()).NameTable);
        Assert.Empty(held.Apply(XdsTypeUrls.NameTable, [], [""], replaceType: false, new TranslationErrors()).NameTable!.Table);
        Assert.Empty(held.Apply(XdsTypeUrls.NameTable, [], [], replaceType: true, new TranslationErrors()).NameTable!.Table);
    }

    [Fact]
    public void A_resource_of_another_type_is_an_error_naming_its_place()
    {
        var errors = new TranslationErrors();

        Held.Apply(XdsTypeUrls.Cluster, [Any.Pack(new Cluster { Name = "c" }), Any.Pack(new ClusterLoadAssignment { ClusterName = "x" })], [], replaceType: false, errors);

        var error = Assert.Single(errors.All);
        Assert.Contains("resources[1]", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("envoy.config.endpoint.v3.ClusterLoadAssignment in a Cluster response", error.ToString(), StringComparison.Ordinal);
    }
}
