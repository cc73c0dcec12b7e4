using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Scope;

/// <summary>
/// The DestinationRule that applies to a host for this proxy, with the rules of the same namespace and host merged as
/// Istio consolidates them (the first rule's traffic policy, subsets appended by name).
/// </summary>
internal sealed record ConsolidatedDestinationRule(TrafficPolicy? TrafficPolicy, IReadOnlyList<Subset> Subsets, IReadOnlyList<IstioResource> Sources)
{
    public Subset? FindSubset(string name)
    {
        foreach (var subset in Subsets)
        {
            if (subset.Name == name)
            {
                return subset;
            }
        }

        return null;
    }
}

/// <summary>
/// Istio's DestinationRule lookup for a sidecar: rules in the proxy's namespace first (those with a
/// <c>workloadSelector</c> only when it selects the proxy, and preferred over those without), then rules in the
/// service's namespace exported to the proxy, then the root namespace's. Within a namespace the most specific host
/// wins: an exact host, else the longest matching wildcard.
/// </summary>
internal sealed class DestinationRuleIndex
{
    private readonly IReadOnlyList<(IstioResource Resource, DestinationRuleSpec Spec, string Host)> _rules;
    private readonly WorkloadInfo _workload;
    private readonly string _rootNamespace;
    private readonly Dictionary<(string Host, string Namespace), ConsolidatedDestinationRule?> _cache = [];

    public DestinationRuleIndex(IReadOnlyList<IstioResource> resources, WorkloadInfo workload, string rootNamespace, IReadOnlyList<string> defaultExportTo)
    {
        _workload = workload;
        _rootNamespace = rootNamespace;
        _rules = resources
            .Where(r => r.Spec is DestinationRuleSpec)
            .Select(r => (r, (DestinationRuleSpec)r.Spec, HostNames.Resolve(((DestinationRuleSpec)r.Spec).Host, r.Namespace)))
            .Where(x => Visibility.IsVisible(x.Item2.ExportTo.Count > 0 ? x.Item2.ExportTo : defaultExportTo, x.r.Namespace, workload.Namespace))
            .ToArray();
    }

    /// <summary>The rule for <paramref name="host"/> of a service in <paramref name="serviceNamespace"/>, or null.</summary>
    public ConsolidatedDestinationRule? Find(string host, string serviceNamespace)
    {
        if (_cache.TryGetValue((host, serviceNamespace), out var cached))
        {
            return cached;
        }

        var result = FindIn(host, _workload.Namespace, allowSelector: true)
            ?? FindIn(host, serviceNamespace, allowSelector: false)
            ?? FindIn(host, _rootNamespace, allowSelector: false);
        _cache[(host, serviceNamespace)] = result;
        return result;
    }

    private ConsolidatedDestinationRule? FindIn(string host, string ns, bool allowSelector)
    {
        var candidates = new List<(IstioResource Resource, DestinationRuleSpec Spec, string Host)>();
        foreach (var rule in _rules)
        {
            if (rule.Resource.Namespace != ns || !(rule.Host == host || (HostNames.IsWildcarded(rule.Host) && HostNames.SubsetOf(host, rule.Host))))
            {
                continue;
            }

            if (rule.Spec.WorkloadSelector is { } selector)
            {
                if (!allowSelector || !_workload.Labels.IsSupersetOf(Labels.From(selector)))
                {
                    continue;
                }
            }

            candidates.Add(rule);
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        // Most specific host first; a rule that selects this workload before one that applies to all.
        var bestHost = candidates
            .Select(c => c.Host)
            .OrderBy(h => HostNames.IsWildcarded(h) ? 1 : 0)
            .ThenByDescending(h => h.Length)
            .First();
        var chosen = candidates.Where(c => c.Host == bestHost).ToList();
        if (chosen.Any(c => c.Spec.WorkloadSelector is not null))
        {
            chosen = chosen.Where(c => c.Spec.WorkloadSelector is not null).ToList();
        }

        TrafficPolicy? policy = null;
        var subsets = new List<Subset>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, spec, _) in chosen)
        {
            policy ??= spec.TrafficPolicy;
            foreach (var subset in spec.Subsets)
            {
                if (names.Add(subset.Name))
                {
                    subsets.Add(subset);
                }
            }
        }

        return new ConsolidatedDestinationRule(policy, subsets, chosen.Select(c => c.Resource).ToArray());
    }
}
