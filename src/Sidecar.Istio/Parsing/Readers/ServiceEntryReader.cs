using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>Reads <c>ServiceEntry</c> and <c>WorkloadEntry</c> specs strictly.</summary>
internal static class ServiceEntryReader
{
    /// <summary>Reads the spec, and the addresses istiod allocated from <paramref name="status"/> (read leniently: the
    /// rest of the status is istiod's and passed over).</summary>
    public static ServiceEntrySpec Read(YamlObject spec, YamlObject? status) => Read(spec) with
    {
        AllocatedAddresses = [.. (status?.ObjectList("addresses") ?? [])
            .Select(a => KeyValuePair.Create(a.String("host") ?? "", a.String("value") ?? ""))
            .Where(a => a.Key.Length > 0 && a.Value.Length > 0)],
    };

    public static ServiceEntrySpec Read(YamlObject spec)
    {
        var ports = new List<ServicePort>();
        foreach (var p in spec.ObjectList("ports") ?? [])
        {
            ports.Add(new ServicePort
            {
                Number = (int?)p.UInt32("number") ?? 0,
                Protocol = p.String("protocol"),
                Name = p.String("name") ?? "",
                TargetPort = (int?)p.UInt32("targetPort"),
            });
            p.RejectUnknownFields();
        }

        var endpoints = spec.ObjectList("endpoints")?.Select(WorkloadEntry).ToArray();
        var result = new ServiceEntrySpec
        {
            Hosts = spec.StringList("hosts") ?? [],
            Addresses = spec.StringList("addresses") ?? [],
            Ports = ports,
            Location = spec.Enum("location", "MESH_EXTERNAL", "MESH_INTERNAL") ?? "MESH_EXTERNAL",
            Resolution = spec.Enum("resolution", "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN") ?? "NONE",
            Endpoints = endpoints,
            WorkloadSelector = NetworkingReader.WorkloadSelector(spec),
            ExportTo = spec.StringList("exportTo") ?? [],
            SubjectAltNames = spec.StringList("subjectAltNames") ?? [],
        };
        spec.RejectUnknownFields();
        return result;
    }

    public static WorkloadEntrySpec WorkloadEntry(YamlObject o)
    {
        var entry = new WorkloadEntrySpec
        {
            Address = o.String("address") ?? "",
            Ports = o.IntegerMap("ports", 0, uint.MaxValue) ?? new Dictionary<string, int>(),
            Labels = o.StringDictionary("labels") ?? ResourceMetadata.EmptyMap,
            Network = o.String("network"),
            Locality = o.String("locality"),
            Weight = (int?)o.UInt32("weight"),
            ServiceAccount = o.String("serviceAccount"),
        };
        o.RejectUnknownFields();
        return entry;
    }
}
