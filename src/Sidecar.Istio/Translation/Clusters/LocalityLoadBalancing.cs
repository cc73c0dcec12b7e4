using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Clusters;

/// <summary>
/// Istio's locality load balancing (pilot's <c>ApplyLocalityLoadBalancer</c>), which istiod writes into each proxy's
/// endpoints: <c>distribute</c> gives each locality a weight (and drops the ones it does not name); otherwise, when the
/// cluster has outlier detection, endpoints get failover priorities: by <c>failoverPriority</c> labels, then by
/// locality (same subzone 0, same zone 1, same region 2, the <c>failover</c> region or any other region 3, the rest 4),
/// compacted to 0..N.
/// </summary>
internal static class LocalityLoadBalancing
{
    /// <summary>Istio's default mesh config: <c>localityLbSetting: {enabled: true}</c>.</summary>
    private static readonly LocalityLbSetting MeshDefault = new() { Enabled = true };

    /// <summary>Istio's <c>GetLocalityLbSetting</c>: a DestinationRule's setting replaces the mesh's; <c>enabled: false</c> turns it off.</summary>
    public static LocalityLbSetting? Effective(LocalityLbSetting? mesh, LocalityLbSetting? rule)
    {
        if (rule is not null)
        {
            return rule.Enabled == false ? null : rule;
        }

        mesh ??= MeshDefault;
        return mesh.Enabled == false ? null : mesh;
    }

    public static ClusterConfig Apply(ClusterConfig cluster, LocalityLbSetting? setting, WorkloadInfo proxy)
    {
        if (setting is null || cluster.Endpoints.IsEmpty)
        {
            return cluster;
        }

        if (setting.Distribute.Count > 0)
        {
            return cluster with { Endpoints = Distribute(cluster.Endpoints, setting.Distribute, proxy.Locality) };
        }

        // Failover needs outlier detection: without it Envoy never sees an endpoint as unhealthy and never drops a priority.
        if (cluster.OutlierDetection is null)
        {
            return cluster;
        }

        var priorities = new int[cluster.Endpoints.Count];
        if (setting.FailoverPriority.Count > 0)
        {
            LabelPriorities(cluster.Endpoints, setting.FailoverPriority, proxy, priorities);
            if (setting.Failover.Count > 0)
            {
                LocalityPriorities(cluster.Endpoints, setting.Failover, proxy.Locality, priorities);
            }
        }
        else
        {
            LocalityPriorities(cluster.Endpoints, setting.Failover, proxy.Locality, priorities);
        }

        Compact(priorities);
        var endpoints = new EndpointConfig[priorities.Length];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = cluster.Endpoints[i] with { Priority = priorities[i] };
        }

        return cluster with { Endpoints = [.. endpoints] };
    }

    /// <summary>
    /// Istio's <c>applyLocalityWeights</c>, for the first entry whose <c>from</c> matches the proxy: each <c>to</c>
    /// pattern's percentage is split over the localities it matches in proportion to their weight (the sum of their
    /// endpoints' weights), rounded up; localities no pattern matches get no traffic.
    /// </summary>
    private static EquatableArray<EndpointConfig> Distribute(EquatableArray<EndpointConfig> endpoints, IReadOnlyList<LocalityDistribute> distribute, string proxyLocality)
    {
        var rule = distribute.FirstOrDefault(d => LocalityPattern.Matches(proxyLocality, d.From));
        if (rule is null)
        {
            return endpoints;
        }

        var localityWeights = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            localityWeights[endpoint.Locality ?? ""] = localityWeights.GetValueOrDefault(endpoint.Locality ?? "") + endpoint.Weight;
        }

        var unmatched = new List<string>(localityWeights.Keys);
        var assigned = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (pattern, percent) in rule.To)
        {
            var matched = unmatched.Where(l => LocalityPattern.Matches(l, pattern)).ToList();
            var total = matched.Sum(l => localityWeights[l]);
            foreach (var locality in matched)
            {
                unmatched.Remove(locality);
                var weight = (int)Math.Ceiling((double)localityWeights[locality] * percent / total);
                if (weight > 0)
                {
                    assigned[locality] = weight;
                }
            }
        }

        var result = new List<EndpointConfig>(endpoints.Count);
        foreach (var endpoint in endpoints)
        {
            if (assigned.TryGetValue(endpoint.Locality ?? "", out var weight))
            {
                result.Add(endpoint with { LocalityWeight = weight });
            }
        }

        return result.ToEquatableArray();
    }

    /// <summary>Istio's <c>applyLocalityFailover</c>, on top of priorities already set by labels (each label level spans five locality levels).</summary>
    private static void LocalityPriorities(EquatableArray<EndpointConfig> endpoints, IReadOnlyList<LocalityFailover> failover, string proxyLocality, int[] priorities)
    {
        var proxyRegion = LocalityPattern.Split(proxyLocality).Region;
        for (var i = 0; i < priorities.Length; i++)
        {
            var endpointLocality = endpoints[i].Locality;
            var priority = LocalityPattern.Priority(proxyLocality, endpointLocality);
            if (priority == 3)
            {
                foreach (var rule in failover)
                {
                    if (rule.From == proxyRegion)
                    {
                        if (LocalityPattern.Split(endpointLocality).Region != rule.To)
                        {
                            priority = 4;
                        }

                        break;
                    }
                }
            }

            priorities[i] = (priorities[i] * 5) + priority;
        }
    }

    /// <summary>
    /// Istio's <c>applyFailoverPriorityPerLocality</c>: the first label (in order) on which an endpoint differs from the
    /// proxy sets its priority, earlier labels weighing more; <c>name=value</c> compares with that value instead of the
    /// proxy's. Both sides carry their locality as the topology labels, as Istio's labels do.
    /// </summary>
    private static void LabelPriorities(EquatableArray<EndpointConfig> endpoints, IReadOnlyList<string> failoverPriority, WorkloadInfo proxy, int[] priorities)
    {
        var proxyLabels = WithTopology(proxy.Labels, proxy.Locality);
        if (proxyLabels.Count == 0)
        {
            // Istio's applyFailoverPriorities: nothing to compare with, no label priorities.
            return;
        }

        for (var i = 0; i < priorities.Length; i++)
        {
            var endpointLabels = WithTopology(endpoints[i].Labels, endpoints[i].Locality);
            for (var j = 0; j < failoverPriority.Count; j++)
            {
                var entry = failoverPriority[j];
                var separator = entry.IndexOf('=', StringComparison.Ordinal);
                var name = separator < 0 ? entry : entry[..separator];
                var wanted = separator < 0 ? proxyLabels.GetValueOrDefault(name) : entry[(separator + 1)..];
                if (wanted != endpointLabels.GetValueOrDefault(name))
                {
                    priorities[i] = failoverPriority.Count - j;
                    break;
                }
            }
        }
    }

    private static Dictionary<string, string> WithTopology(Labels labels, string? locality)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            result[key] = value;
        }

        // Istio's AugmentLabels: the locality's parts replace whatever topology labels the workload set itself.
        var (region, zone, subzone) = LocalityPattern.Split(locality);
        foreach (var (key, value) in (ReadOnlySpan<(string, string)>)[("topology.kubernetes.io/region", region), ("topology.kubernetes.io/zone", zone), ("topology.istio.io/subzone", subzone)])
        {
            if (value.Length > 0)
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>Priorities must run 0..N without gaps: each distinct value becomes its rank.</summary>
    private static void Compact(int[] priorities)
    {
        var ranks = priorities.Distinct().Order().ToArray();
        for (var i = 0; i < priorities.Length; i++)
        {
            priorities[i] = Array.IndexOf(ranks, priorities[i]);
        }
    }
}
