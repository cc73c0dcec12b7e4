using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>Istio's outlierDetection (Envoy's consecutive_5xx, base_ejection_time, max_ejection_percent), on a fake clock.</summary>
public sealed class OutlierDetectorTests
{
    private static (ClusterState Cluster, FakeTimeProvider Time) Cluster(int endpoints, OutlierDetectionConfig detection)
    {
        var time = new FakeTimeProvider();
        var cluster = new ClusterState(new ClusterConfig
        {
            Name = "outbound|9080||ratings.default.svc.cluster.local",
            LbPolicy = LoadBalancerPolicy.RoundRobin,
            OutlierDetection = detection,
            HealthyPanicThresholdPercent = 0,
            Endpoints = [.. Enumerable.Range(1, endpoints).Select(i => new EndpointConfig { Address = $"10.0.0.{i}", Port = 9080 })],
        }, time, NullLogger.Instance);
        return (cluster, time);
    }

    [Fact]
    public void Consecutive_5xx_ejects_for_the_base_time_then_the_endpoint_returns()
    {
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig { Consecutive5xx = 3, BaseEjectionTime = TimeSpan.FromSeconds(30), MaxEjectionPercent = 100 });
        using var _ = cluster;
        var bad = cluster.Endpoints.All[0];
        for (var i = 0; i < 3; i++)
        {
            cluster.RecordOutcome(bad, 503, localOriginFailure: false);
        }

        Assert.True(bad.IsEjected(time.GetTimestamp()));
        Assert.All(Enumerable.Range(0, 10), _ => Assert.NotSame(bad, cluster.PickEndpoint(null, new Random(1))));

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(bad.IsEjected(time.GetTimestamp()));
        Assert.Contains(bad, Enumerable.Range(0, 10).Select(_ => cluster.PickEndpoint(null, new Random(1))));
    }

    [Fact]
    public void A_changed_cluster_definition_starts_without_ejections_and_an_endpoint_change_keeps_them()
    {
        // Envoy replaces a cluster whose CDS definition changed (a DestinationRule edit): new hosts, a new outlier
        // detector. EDS updates only the membership of the cluster it has, so the hosts that stay keep their state.
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig { Consecutive5xx = 1, BaseEjectionTime = TimeSpan.FromMinutes(3), MaxEjectionPercent = 100 });
        using var _ = cluster;
        cluster.RecordOutcome(cluster.Endpoints.All[0], 500, false);
        Assert.True(cluster.Endpoints.All[0].IsEjected(time.GetTimestamp()));

        cluster.Update(cluster.Config with { Endpoints = [.. cluster.Config.Endpoints, new EndpointConfig { Address = "10.0.0.9", Port = 9080 }] });
        Assert.True(cluster.Endpoints.All[0].IsEjected(time.GetTimestamp()));

        cluster.Update(cluster.Config with { LbPolicy = LoadBalancerPolicy.LeastRequest, OutlierDetection = cluster.Config.OutlierDetection! with { Interval = TimeSpan.FromSeconds(2) } });
        Assert.All(cluster.Endpoints.All, e => Assert.False(e.IsEjected(time.GetTimestamp())));
        Assert.All(cluster.Endpoints.All, e => Assert.Equal(0, e.RequestsTotal));
    }

    [Fact]
    public void A_success_resets_the_consecutive_count()
    {
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig { Consecutive5xx = 2, MaxEjectionPercent = 100 });
        using var _ = cluster;
        var endpoint = cluster.Endpoints.All[0];
        cluster.RecordOutcome(endpoint, 500, false);
        cluster.RecordOutcome(endpoint, 200, false);
        cluster.RecordOutcome(endpoint, 500, false);

        Assert.False(endpoint.IsEjected(time.GetTimestamp()));
    }

    [Fact]
    public void A_tcp_connection_that_reaches_the_endpoint_resets_the_consecutive_count()
    {
        // Envoy's tcp_proxy reports LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL, which counts as a 200 without split errors.
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig { Consecutive5xx = 2, MaxEjectionPercent = 100 });
        using var _ = cluster;
        var endpoint = cluster.Endpoints.All[0];
        cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
        cluster.RecordConnectSuccess(endpoint);
        cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
        Assert.False(endpoint.IsEjected(time.GetTimestamp()));

        cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
        Assert.True(endpoint.IsEjected(time.GetTimestamp()));
    }

    [Fact]
    public void With_split_local_origin_errors_local_and_upstream_failures_are_counted_apart()
    {
        // splitExternalLocalOriginErrors: a connect failure counts toward consecutiveLocalOriginFailures only, and
        // neither resets the other's count.
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig
        {
            Consecutive5xx = 2,
            ConsecutiveLocalOriginFailures = 2,
            SplitExternalLocalOriginErrors = true,
            MaxEjectionPercent = 100,
        });
        using var _ = cluster;
        var endpoint = cluster.Endpoints.All[0];
        cluster.RecordOutcome(endpoint, 500, localOriginFailure: false);
        cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);
        Assert.False(endpoint.IsEjected(time.GetTimestamp()));

        cluster.RecordOutcome(endpoint, 500, localOriginFailure: false);
        Assert.True(endpoint.IsEjected(time.GetTimestamp()));
    }

    [Fact]
    public void Repeated_ejections_last_longer()
    {
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig { ConsecutiveGatewayErrors = 1, BaseEjectionTime = TimeSpan.FromSeconds(10), MaxEjectionPercent = 100 });
        using var _ = cluster;
        var endpoint = cluster.Endpoints.All[0];
        cluster.RecordOutcome(endpoint, 502, false);
        time.Advance(TimeSpan.FromSeconds(11));
        cluster.RecordOutcome(endpoint, 0, localOriginFailure: true);

        time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(endpoint.IsEjected(time.GetTimestamp()), "the second ejection lasts twice the base time");
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.False(endpoint.IsEjected(time.GetTimestamp()));
    }

    [Fact]
    public void Max_ejection_percent_keeps_enough_endpoints_in_service()
    {
        var (cluster, time) = Cluster(4, new OutlierDetectionConfig { Consecutive5xx = 1, MaxEjectionPercent = 25 });
        using var _ = cluster;
        foreach (var endpoint in cluster.Endpoints.All)
        {
            cluster.RecordOutcome(endpoint, 500, false);
        }

        Assert.Equal(1, cluster.Endpoints.All.Count(e => e.IsEjected(time.GetTimestamp())));
    }

    [Fact]
    public void At_the_default_ten_percent_a_cluster_of_fewer_than_ten_endpoints_ejects_none()
    {
        // Envoy 1.31+ (Istio 1.23+): ejecting must keep (ejected + 1) / hosts within max_ejection_percent, and Istio
        // leaves always_eject_one_host off.
        var (small, smallTime) = Cluster(3, new OutlierDetectionConfig { Consecutive5xx = 1 });
        var (large, largeTime) = Cluster(10, new OutlierDetectionConfig { Consecutive5xx = 1 });
        using var _ = small;
        using var __ = large;
        foreach (var endpoint in small.Endpoints.All)
        {
            small.RecordOutcome(endpoint, 500, false);
        }

        foreach (var endpoint in large.Endpoints.All)
        {
            large.RecordOutcome(endpoint, 500, false);
        }

        Assert.DoesNotContain(small.Endpoints.All, e => e.IsEjected(smallTime.GetTimestamp()));
        Assert.Equal(1, large.Endpoints.All.Count(e => e.IsEjected(largeTime.GetTimestamp())));
    }

    [Fact]
    public void The_ejection_backoff_shrinks_by_one_for_each_interval_back_in_service()
    {
        // Envoy's interval timer decrements the ejection time backoff of a host that stays in service, so a host that
        // failed long ago is ejected for the base time again, not for its lifetime count of ejections.
        var (cluster, time) = Cluster(2, new OutlierDetectionConfig
        {
            Consecutive5xx = 1,
            BaseEjectionTime = TimeSpan.FromSeconds(10),
            Interval = TimeSpan.FromSeconds(5),
            MaxEjectionPercent = 100,
        });
        using var _ = cluster;
        var endpoint = cluster.Endpoints.All[0];

        // Ejected three times back to back: 10 s, 20 s, then 30 s.
        cluster.RecordOutcome(endpoint, 500, false);
        time.Advance(TimeSpan.FromSeconds(10));
        cluster.RecordOutcome(endpoint, 500, false);
        time.Advance(TimeSpan.FromSeconds(20));
        cluster.RecordOutcome(endpoint, 500, false);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(endpoint.IsEjected(time.GetTimestamp()));
        time.Advance(TimeSpan.FromSeconds(1));

        // Ten seconds in service (two intervals) take the backoff from 3 to 1: the next ejection lasts 20 s.
        time.Advance(TimeSpan.FromSeconds(10));
        cluster.RecordOutcome(endpoint, 500, false);
        time.Advance(TimeSpan.FromSeconds(19));
        Assert.True(endpoint.IsEjected(time.GetTimestamp()));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(endpoint.IsEjected(time.GetTimestamp()));

        // A long healthy stretch brings it back to the base time.
        time.Advance(TimeSpan.FromMinutes(5));
        cluster.RecordOutcome(endpoint, 500, false);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(endpoint.IsEjected(time.GetTimestamp()));
    }
}
