using System.Text.Json;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>One resource in a dump list (a <c>DynamicCluster</c>, <c>DynamicListener</c>, ...): its name, for
/// <c>name_regex</c>, and a writer of its fields.</summary>
internal sealed record DumpItem(string Name, Action<Utf8JsonWriter> WriteFields);

/// <summary>A repeated field of a dump message (<c>dynamic_active_clusters</c>) and the proto type of its entries,
/// which <c>?resource=</c> names and prints one by one.</summary>
internal sealed record DumpList(string Field, string ItemType, IReadOnlyList<DumpItem> Items);

/// <summary>One entry of <c>configs</c>: a dump message (<c>envoy.admin.v3.ClustersConfigDump</c>) and its lists.</summary>
internal sealed record DumpSection(string DumpType, string? VersionInfo, IReadOnlyList<DumpList> Lists)
{
    public void Write(Utf8JsonWriter writer, Func<string, bool> includeName)
    {
        EnvoyJson.StartTyped(writer, null, DumpType);
        if (VersionInfo is not null)
        {
            writer.WriteString("version_info", VersionInfo);
        }

        foreach (var list in Lists)
        {
            writer.WriteStartArray(list.Field);
            foreach (var item in list.Items)
            {
                if (includeName(item.Name))
                {
                    writer.WriteStartObject();
                    item.WriteFields(writer);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }
}
