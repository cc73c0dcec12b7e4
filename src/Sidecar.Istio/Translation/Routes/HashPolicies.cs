using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>Istio's consistent-hash lookups (<c>hashForService</c>, <c>HashForHTTPDestination</c>) and their
/// translation to Envoy's route <c>hash_policy</c>.</summary>
internal static class HashPolicies
{
    /// <summary>The hash for routes to a service's default cluster: the rule's, or its port-level setting's.</summary>
    public static ConsistentHashLb? ForService(ConsolidatedDestinationRule? rule, int port)
    {
        var hash = rule?.TrafficPolicy?.LoadBalancer?.ConsistentHash;
        foreach (var pls in rule?.TrafficPolicy?.PortLevelSettings ?? [])
        {
            if (pls.Port == port)
            {
                return pls.LoadBalancer?.ConsistentHash ?? hash;
            }
        }

        return hash;
    }

    /// <summary>The hash for a route destination: subset port-level, subset, port-level, then rule level.</summary>
    public static ConsistentHashLb? ForDestination(ConsolidatedDestinationRule? rule, Destination destination)
    {
        if (rule is null)
        {
            return null;
        }

        var hash = rule.TrafficPolicy?.LoadBalancer?.ConsistentHash;
        var portHash = PortLevel(rule.TrafficPolicy, destination.Port);
        ConsistentHashLb? subsetHash = null;
        ConsistentHashLb? subsetPortHash = null;
        if (rule.FindSubset(destination.Subset ?? "") is { } subset)
        {
            subsetHash = subset.TrafficPolicy?.LoadBalancer?.ConsistentHash;
            subsetPortHash = PortLevel(subset.TrafficPolicy, destination.Port);
        }

        return subsetPortHash ?? subsetHash ?? portHash ?? hash;
    }

    public static HashPolicyConfig? ToHashPolicy(ConsistentHashLb? hash) => hash switch
    {
        { HttpHeaderName: { } header } => new HashPolicyConfig { Kind = HashPolicyKind.Header, Name = header },
        { HttpCookie: { } cookie } => new HashPolicyConfig
        {
            Kind = HashPolicyKind.Cookie,
            Name = cookie.Name,
            CookieTtl = cookie.Ttl?.ToTimeSpan(),
            CookiePath = string.IsNullOrEmpty(cookie.Path) ? null : cookie.Path,
        },
        { UseSourceIp: true } => new HashPolicyConfig { Kind = HashPolicyKind.SourceIp },
        { HttpQueryParameterName: { } parameter } => new HashPolicyConfig { Kind = HashPolicyKind.QueryParameter, Name = parameter },
        _ => null,
    };

    private static ConsistentHashLb? PortLevel(TrafficPolicy? policy, int? port)
    {
        if (port is null)
        {
            return null;
        }

        foreach (var pls in policy?.PortLevelSettings ?? [])
        {
            if (pls.Port == port)
            {
                return pls.LoadBalancer?.ConsistentHash;
            }
        }

        return null;
    }
}
