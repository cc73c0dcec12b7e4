using Sidecar.Model;

namespace Sidecar.Istio.Naming;

/// <summary>Istio's reading of a pod's locality from its labels.</summary>
public static class PodLocality
{
    /// <summary>
    /// <c>topology.istio.io/locality</c> or <c>istio-locality</c> (the whole locality, dots standing for slashes), else
    /// the region, zone and subzone labels; "" when the labels say nothing.
    /// </summary>
    public static string FromLabels(Labels labels)
    {
        if ((labels["topology.istio.io/locality"] ?? labels["istio-locality"]) is { Length: > 0 } dotted)
        {
            return dotted.Replace('.', '/');
        }

        var region = labels["topology.kubernetes.io/region"];
        if (string.IsNullOrEmpty(region))
        {
            return "";
        }

        var zone = labels["topology.kubernetes.io/zone"] ?? "";
        var subzone = labels["topology.istio.io/subzone"] ?? "";
        return subzone.Length > 0 ? $"{region}/{zone}/{subzone}" : zone.Length > 0 ? $"{region}/{zone}" : region;
    }
}
