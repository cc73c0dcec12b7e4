using System.Text.RegularExpressions;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Routing;

/// <summary>One compiled destination of a route: the live cluster it points at and its header policy.</summary>
internal sealed class WeightedCluster
{
    public WeightedCluster(WeightedClusterConfig config, ClusterState? cluster)
    {
        Name = config.Cluster;
        Weight = config.Weight;
        Cluster = cluster;
        RequestHeaders = config.RequestHeaders.IsEmpty ? HeaderMutation.None : new HeaderMutation(config.RequestHeaders);
        ResponseHeaders = config.ResponseHeaders.IsEmpty ? HeaderMutation.None : new HeaderMutation(config.ResponseHeaders);
    }

    public string Name { get; }

    public int Weight { get; }

    /// <summary>The cluster's live state, or null when the snapshot has no such cluster (Envoy: 503, flag NC).</summary>
    public ClusterState? Cluster { get; }

    public HeaderMutation RequestHeaders { get; }

    public HeaderMutation ResponseHeaders { get; }
}

/// <summary>A compiled <see cref="RouteActionConfig"/>: cumulative weights for the split, compiled rewrites.</summary>
internal sealed class RouteAction
{
    private readonly WeightedCluster[] _clusters;
    private readonly int[] _cumulativeWeights;
    private readonly int _totalWeight;

    public RouteAction(RouteActionConfig config, Func<string, ClusterState?> clusters)
    {
        Config = config;
        var kept = config.Clusters.Where(c => c.Weight > 0).ToArray();
        _clusters = kept.Select(c => new WeightedCluster(c, clusters(c.Cluster))).ToArray();
        _cumulativeWeights = new int[_clusters.Length];
        var sum = 0;
        for (var i = 0; i < _clusters.Length; i++)
        {
            sum += _clusters[i].Weight;
            _cumulativeWeights[i] = sum;
        }

        _totalWeight = sum;
        Timeout = config.Timeout is { } timeout && timeout > TimeSpan.Zero ? timeout : null;
        Retry = config.Retry is { NumRetries: > 0 } retry ? new RetryPolicy(retry) : null;
        RegexRewrite = config.RegexRewrite is { } rewrite ? new Regex(Re2Syntax.ToDotNetOrThrow(rewrite.Pattern), ProxyConfigValidator.Re2Options) : null;
        RegexRewriteSubstitution = config.RegexRewrite is { } r ? ToDotNetSubstitution(r.Substitution) : null;
        Mirrors = config.Mirrors.Select(m => (clusters(m.Cluster), m.Fraction)).ToArray();
        HashPolicy = config.HashPolicy.ToArray();
    }

    public RouteActionConfig Config { get; }

    public IReadOnlyList<WeightedCluster> Clusters => _clusters;

    /// <summary>The route timeout, or null when disabled.</summary>
    public TimeSpan? Timeout { get; }

    public RetryPolicy? Retry { get; }

    public Regex? RegexRewrite { get; }

    /// <summary>The rewrite's substitution in .NET syntax.</summary>
    public string? RegexRewriteSubstitution { get; }

    public (ClusterState? Cluster, Percentage Fraction)[] Mirrors { get; }

    public HashPolicyConfig[] HashPolicy { get; }

    /// <summary>Picks a destination by weight (Envoy's weighted_clusters): one draw in [0, total weight).</summary>
    public WeightedCluster PickCluster(Random random)
    {
        if (_clusters.Length == 1)
        {
            return _clusters[0];
        }

        var draw = random.Next(_totalWeight);
        for (var i = 0; i < _cumulativeWeights.Length; i++)
        {
            if (draw < _cumulativeWeights[i])
            {
                return _clusters[i];
            }
        }

        return _clusters[^1];
    }

    /// <summary>RE2 substitutions name groups <c>\1</c>; .NET names them <c>${1}</c> and treats <c>$</c> as special.</summary>
    private static string ToDotNetSubstitution(string substitution) =>
        Regex.Replace(substitution.Replace("$", "$$", StringComparison.Ordinal), @"\\(\d)", "$${$1}");
}
