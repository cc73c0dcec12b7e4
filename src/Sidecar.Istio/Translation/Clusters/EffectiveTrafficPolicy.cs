using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Translation.Clusters;

/// <summary>
/// The traffic policy that applies to one cluster, after Istio's <c>MergeTrafficPolicy</c>: a subset's fields override
/// the rule's field by field, and a matching <c>portLevelSettings</c> entry replaces all four of its fields (unset ones
/// fall back to defaults, not to the parent); <c>proxyProtocol</c> and <c>retryBudget</c>, which port-level settings
/// do not have, are kept.
/// </summary>
internal sealed record EffectiveTrafficPolicy(
    LoadBalancerSettings? LoadBalancer,
    ConnectionPoolSettings? ConnectionPool,
    OutlierDetection? OutlierDetection,
    ClientTlsSettings? Tls,
    ProxyProtocolSettings? ProxyProtocol = null,
    RetryBudgetSettings? RetryBudget = null)
{
    public static readonly EffectiveTrafficPolicy None = new(null, null, null, null);

    /// <summary>The rule-level policy for <paramref name="port"/> (<c>MergeTrafficPolicy(nil, policy, port)</c>).</summary>
    public static EffectiveTrafficPolicy ForPort(TrafficPolicy? policy, int port) => None.Merge(policy, port);

    /// <summary>This policy overridden by <paramref name="overrides"/> (a subset's policy) for <paramref name="port"/>.</summary>
    public EffectiveTrafficPolicy Merge(TrafficPolicy? overrides, int port)
    {
        if (overrides is null)
        {
            return this;
        }

        var merged = new EffectiveTrafficPolicy(
            overrides.LoadBalancer ?? LoadBalancer,
            overrides.ConnectionPool ?? ConnectionPool,
            overrides.OutlierDetection ?? OutlierDetection,
            overrides.Tls ?? Tls,
            overrides.ProxyProtocol ?? ProxyProtocol,
            overrides.RetryBudget ?? RetryBudget);
        foreach (var pls in overrides.PortLevelSettings)
        {
            if (pls.Port == port)
            {
                // Per Istio's docs, port-level policies do not inherit: unset fields go back to defaults.
                return new EffectiveTrafficPolicy(pls.LoadBalancer, pls.ConnectionPool, pls.OutlierDetection, pls.Tls, merged.ProxyProtocol, merged.RetryBudget);
            }
        }

        return merged;
    }
}
