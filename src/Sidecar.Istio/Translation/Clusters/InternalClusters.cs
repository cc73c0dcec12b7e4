using Sidecar.Model;

namespace Sidecar.Istio.Translation.Clusters;

/// <summary>The clusters every sidecar has: <c>PassthroughCluster</c>, <c>BlackHoleCluster</c> and <c>InboundPassthroughCluster</c>.</summary>
internal static class InternalClusters
{
    /// <summary>The source address Istio binds inbound upstream connections to, which its iptables rules let through.</summary>
    public const string InboundPassthroughBindAddress = "127.0.0.6";

    public static IEnumerable<ClusterConfig> Build(TimeSpan connectTimeout)
    {
        yield return new ClusterConfig
        {
            Name = ClusterName.Passthrough,
            Type = ClusterDiscoveryType.OriginalDst,
            LbPolicy = LoadBalancerPolicy.ClusterProvided,
            ConnectTimeout = connectTimeout,
            HttpProtocol = UpstreamHttpProtocol.UseDownstream,
        };
        yield return new ClusterConfig
        {
            Name = ClusterName.BlackHole,
            Type = ClusterDiscoveryType.Static,
            LbPolicy = LoadBalancerPolicy.RoundRobin,
            ConnectTimeout = connectTimeout,
        };
        yield return new ClusterConfig
        {
            Name = ClusterName.InboundPassthrough,
            Type = ClusterDiscoveryType.OriginalDst,
            LbPolicy = LoadBalancerPolicy.ClusterProvided,
            ConnectTimeout = connectTimeout,
            HttpProtocol = UpstreamHttpProtocol.UseDownstream,
            UpstreamBindAddress = InboundPassthroughBindAddress,
        };
    }
}
