using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>Reads a <c>DestinationRule</c> spec strictly.</summary>
internal static class DestinationRuleReader
{
    public static DestinationRuleSpec Read(YamlObject spec)
    {
        var subsets = new List<Subset>();
        foreach (var s in spec.ObjectList("subsets") ?? [])
        {
            subsets.Add(new Subset
            {
                Name = s.String("name") ?? "",
                Labels = s.StringDictionary("labels") ?? ResourceMetadata.EmptyMap,
                TrafficPolicy = NetworkingReader.TrafficPolicy(s.Object("trafficPolicy")),
            });
            s.RejectUnknownFields();
        }

        IReadOnlyDictionary<string, string>? selector = null;
        if (spec.Object("workloadSelector") is { } ws)
        {
            selector = ws.StringDictionary("matchLabels") ?? ResourceMetadata.EmptyMap;
            ws.RejectUnknownFields();
        }

        var result = new DestinationRuleSpec
        {
            Host = spec.String("host") ?? "",
            TrafficPolicy = NetworkingReader.TrafficPolicy(spec.Object("trafficPolicy")),
            Subsets = subsets,
            ExportTo = spec.StringList("exportTo") ?? [],
            WorkloadSelector = selector,
        };
        spec.RejectUnknownFields();
        return result;
    }
}
