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
}
