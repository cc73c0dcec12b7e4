using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Tests.Routing;

/// <summary>Envoy's retry_on conditions (router filter, x-envoy-retry-on semantics).</summary>
public sealed class RetryPolicyTests
{
    private static bool RetriesResponse(RetryOn on, int status, string? grpcStatus = null, params int[] codes)
    {
        var policy = new RetryPolicy(new RetryPolicyConfig { NumRetries = 1, RetryOn = on, RetriableStatusCodes = [.. codes] });
        using var response = new HttpResponseMessage((System.Net.HttpStatusCode)status);
        if (grpcStatus is not null)
        {
            response.Headers.TryAddWithoutValidation("grpc-status", grpcStatus);
        }

        return policy.IsRetriableResponse(status, response.Headers);
    }

    [Fact]
    public void Five_xx_covers_every_5xx() => Assert.True(RetriesResponse(RetryOn.ServerError, 500) && RetriesResponse(RetryOn.ServerError, 503));

    [Fact]
    public void Gateway_error_covers_502_503_504_only()
    {
        Assert.True(RetriesResponse(RetryOn.GatewayError, 502));
        Assert.True(RetriesResponse(RetryOn.GatewayError, 504));
        Assert.False(RetriesResponse(RetryOn.GatewayError, 500));
    }

    [Fact]
    public void Retriable_4xx_is_409() => Assert.True(RetriesResponse(RetryOn.Retriable4xx, 409) && !RetriesResponse(RetryOn.Retriable4xx, 404));

    [Fact]
    public void Retriable_status_codes_need_the_condition_and_the_list() =>
        Assert.True(RetriesResponse(RetryOn.RetriableStatusCodes, 418, null, 418) && !RetriesResponse(RetryOn.RetriableStatusCodes, 418));

    [Fact]
    public void Grpc_conditions_read_grpc_status()
    {
        Assert.True(RetriesResponse(RetryOn.GrpcUnavailable, 200, "14"));
        Assert.False(RetriesResponse(RetryOn.GrpcUnavailable, 200, "13"));
        Assert.True(RetriesResponse(RetryOn.GrpcInternal | RetryOn.GrpcResourceExhausted, 200, "8"));
    }

    [Theory]
    [InlineData(RetryOn.ConnectFailure, true, false, false)]
    [InlineData(RetryOn.Reset, true, true, true)]
    [InlineData(RetryOn.ServerError, true, true, true)]
    [InlineData(RetryOn.RefusedStream, false, false, false)]
    public void Failures_without_a_response(RetryOn on, bool connectFailure, bool reset, bool perTryTimeout)
    {
        var policy = new RetryPolicy(new RetryPolicyConfig { NumRetries = 1, RetryOn = on });
        Assert.Equal(connectFailure, policy.IsRetriableFailure(UpstreamFailure.ConnectFailure));
        Assert.Equal(reset, policy.IsRetriableFailure(UpstreamFailure.Reset));
        Assert.Equal(perTryTimeout, policy.IsRetriableFailure(UpstreamFailure.PerTryTimeout));
    }

    [Fact]
    public void Backoff_is_jittered_below_an_exponential_ceiling_capped_at_ten_times_the_base()
    {
        var policy = new RetryPolicy(new RetryPolicyConfig { NumRetries = 10, RetryOn = RetryOn.ServerError, BackoffBaseInterval = TimeSpan.FromMilliseconds(25) });
        var random = new Random(11);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.InRange(policy.Backoff(1, random), TimeSpan.Zero, TimeSpan.FromMilliseconds(25)));
        Assert.All(Enumerable.Range(0, 200), _ => Assert.InRange(policy.Backoff(3, random), TimeSpan.Zero, TimeSpan.FromMilliseconds(100)));
        Assert.All(Enumerable.Range(0, 200), _ => Assert.InRange(policy.Backoff(9, random), TimeSpan.Zero, TimeSpan.FromMilliseconds(250)));
    }
}
