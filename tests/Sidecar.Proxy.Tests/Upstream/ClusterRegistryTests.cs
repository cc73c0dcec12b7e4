using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>A config push reconciles live clusters: unchanged ones keep their pools, counters and ejections.</summary>
public sealed class ClusterRegistryTests
{
    private static ClusterConfig Reviews(params string[] addresses) => new()
    {
        Name = "outbound|9080||reviews.default.svc.cluster.local",
        Endpoints = [.. addresses.Select(a => new EndpointConfig { Address = a, Port = 9080 })],
    };

    [Fact]
    public void An_unchanged_cluster_keeps_its_state_and_connection_pool()
    {
        using var registry = new ClusterRegistry(TimeProvider.System, NullLogger<ClusterState>.Instance);
        var first = registry.Reconcile([Reviews("10.0.0.1")])["outbound|9080||reviews.default.svc.cluster.local"];
        var invoker = first.Invoker;
        first.Endpoints.All[0].BeginRequest();

        var second = registry.Reconcile([Reviews("10.0.0.1"), new ClusterConfig { Name = "outbound|9080||ratings.default.svc.cluster.local" }])["outbound|9080||reviews.default.svc.cluster.local"];

        Assert.Same(first, second);
        Assert.Same(invoker, second.Invoker);
        Assert.Equal(1, second.Endpoints.All[0].RequestsTotal);
    }

    [Fact]
    public void Endpoints_that_stay_keep_their_counters_when_others_change()
    {
        using var registry = new ClusterRegistry(TimeProvider.System, NullLogger<ClusterState>.Instance);
        var cluster = registry.Reconcile([Reviews("10.0.0.1", "10.0.0.2")]).Values.Single();
        var kept = cluster.Endpoints.All.Single(e => e.Address == "10.0.0.1");
        kept.BeginRequest();

        registry.Reconcile([Reviews("10.0.0.1", "10.0.0.3")]);

        Assert.Same(kept, cluster.Endpoints.All.Single(e => e.Address == "10.0.0.1"));
        Assert.Equal(["10.0.0.1", "10.0.0.3"], cluster.Endpoints.All.Select(e => e.Address));
    }

    [Fact]
    public void A_connection_setting_change_builds_a_new_pool()
    {
        using var registry = new ClusterRegistry(TimeProvider.System, NullLogger<ClusterState>.Instance);
        var cluster = registry.Reconcile([Reviews("10.0.0.1")]).Values.Single();
        var invoker = cluster.Invoker;

        registry.Reconcile([Reviews("10.0.0.1") with { ConnectTimeout = TimeSpan.FromSeconds(1) }]);

        Assert.NotSame(invoker, cluster.Invoker);
    }

    [Fact]
    public void A_request_has_no_stream_idle_timeout()
    {
        // Istio sets the connection managers' stream_idle_timeout to 0: a request without a route timeout waits, or
        // streams with long gaps, as long as it takes (YARP's own default would cut it after 100 s).
        using var registry = new ClusterRegistry(TimeProvider.System, NullLogger<ClusterState>.Instance);
        var cluster = registry.Reconcile([Reviews("10.0.0.1")])["outbound|9080||reviews.default.svc.cluster.local"];

        Assert.Equal(Timeout.InfiniteTimeSpan, cluster.RequestConfigFor("HTTP/1.1").ActivityTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, cluster.RequestConfigFor("HTTP/2").ActivityTimeout);
    }
}
