using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's <c>validateLocalityLbSetting</c>: distribute weights, locality patterns and failover regions.</summary>
internal static class LocalityLbSettingValidator
{
    private static readonly string[] TopologyLabels = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

    public static void Validate(LocalityLbSetting? setting, bool hasOutlierDetection, string path, ValidationReport report)
    {
        if (setting is null)
        {
            return;
        }

        if (setting.Distribute.Count > 0 && setting.Failover.Count > 0)
        {
            report.Error(path, "can not simultaneously specify 'distribute' and 'failover'");
            return;
        }

        if (setting.Failover.Count > 0)
        {
            foreach (var label in setting.FailoverPriority)
            {
                if (TopologyLabels.Contains(label))
                {
                    report.Error($"{path}.failoverPriority", $"can not simultaneously set 'failover' and topology label '{label}' in 'failoverPriority'");
                    return;
                }
            }
        }

        var sources = new List<string>();
        for (var i = 0; i < setting.Distribute.Count; i++)
        {
            var entry = setting.Distribute[i];
            var entryPath = $"{path}.distribute[{i}]";
            sources.Add(entry.From);
            long total = 0;
            foreach (var (_, weight) in entry.To)
            {
                if (weight is <= 0 or > 100)
                {
                    report.Error($"{entryPath}.to", "locality weight must be in range [1, 100]");
                    return;
                }

                total += weight;
            }

            if (total != 100)
            {
                report.Error($"{entryPath}.to", $"total locality weight {total} != 100");
                return;
            }

            report.Check($"{entryPath}.to", Localities(entry.To.Select(t => t.Key)));
        }

        report.Check($"{path}.distribute", Localities(sources));

        if ((setting.Failover.Count > 0 || setting.FailoverPriority.Count > 0) && !hasOutlierDetection)
        {
            report.Warning(path, "outlier detection policy must be provided for failover");
        }

        for (var i = 0; i < setting.Failover.Count; i++)
        {
            var failover = setting.Failover[i];
            var entryPath = $"{path}.failover[{i}]";
            report.Error(entryPath, "locality lb failover settings must specify different regions", failover.From == failover.To);
            report.Error(entryPath, "locality lb failover only specify region", failover.From.Contains('/', StringComparison.Ordinal) || failover.To.Contains('/', StringComparison.Ordinal));
            report.Error(entryPath, "locality lb failover region should not contain '*' wildcard", failover.From.Contains('*', StringComparison.Ordinal) || failover.To.Contains('*', StringComparison.Ordinal));
        }
    }

    /// <summary>Istio's <c>validateLocalities</c>: at most one <c>*</c>, last; no locality covered by an earlier one.</summary>
    private static string? Localities(IEnumerable<string> localities)
    {
        var seen = new List<string>();
        foreach (var locality in localities)
        {
            var stars = locality.Count(c => c == '*');
            if (stars > 1 || (stars == 1 && !locality.EndsWith('*')))
            {
                return $"locality {locality} wildcard '*' number can not exceed 1 and must be in the end";
            }

            foreach (var earlier in seen)
            {
                if (earlier == locality || LocalityPattern.Covers(earlier, locality) || LocalityPattern.Covers(locality, earlier))
                {
                    return $"locality {locality} overlap with previous specified ones";
                }
            }

            seen.Add(locality);
        }

        return null;
    }
}
