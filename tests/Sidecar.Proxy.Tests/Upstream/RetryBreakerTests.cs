using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Tests.Upstream;

/// <summary>
/// The retry circuit breaker: Envoy's <c>max_retries</c>, or the <c>retry_budget</c> that replaces it (Istio's
/// DestinationRule <c>trafficPolicy.retryBudget</c>), counting the retries waiting to be sent.
/// </summary>
public sealed class RetryBreakerTests
{
    [Fact]
    public void A_retry_budget_allows_its_share_of_the_active_requests_never_fewer_than_its_floor()
    {
        // 50% of the active requests, at least 1: one request allows 1 retry, four allow 2. max_retries no longer counts.
        using var cluster = new ClusterState(
            new ClusterConfig { Name = "outbound|9080||reviews.default.svc.cluster.local", CircuitBreakers = new CircuitBreakersConfig { MaxRetries = 100, RetryBudget = new RetryBudgetConfig(50, 1) } },
            TimeProvider.System,
            NullLogger.Instance);

        Assert.True(cluster.TryAcquireRequest("HTTP/1.1"));
        Assert.True(cluster.TryAcquireRetry());
        Assert.False(cluster.TryAcquireRetry());
        Assert.Equal(1, cluster.RetryOverflows);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(cluster.TryAcquireRequest("HTTP/1.1"));
        }

        Assert.True(cluster.TryAcquireRetry());
        Assert.False(cluster.TryAcquireRetry());
        cluster.ReleaseRetry();
        Assert.True(cluster.TryAcquireRetry());
        Assert.Equal(2, cluster.RetryOverflows);
    }

    [Fact]
    public void Without_a_budget_max_retries_is_the_limit()
    {
        using var cluster = new ClusterState(
            new ClusterConfig { Name = "outbound|9080||reviews.default.svc.cluster.local", CircuitBreakers = new CircuitBreakersConfig { MaxRetries = 2 } },
            TimeProvider.System,
            NullLogger.Instance);

        Assert.True(cluster.TryAcquireRetry());
        Assert.True(cluster.TryAcquireRetry());
        Assert.False(cluster.TryAcquireRetry());
    }
}
