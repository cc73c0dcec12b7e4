using Istio.Networking.Nds.V1;
using Sidecar.Model;

namespace Sidecar.Xds.Translation;

/// <summary>
/// istiod's NDS <c>NameTable</c> as the model's name table: one entry per host, sorted by host so that an unchanged
/// table compares equal whatever order the map arrived in.
/// </summary>
internal static class NameTableTranslator
{
    public static EquatableArray<NameInfoConfig> Translate(NameTable table)
    {
        var result = new List<NameInfoConfig>(table.Table.Count);
        foreach (var (key, info) in table.Table)
        {
            result.Add(new NameInfoConfig
            {
                // pilot-agent appends the dot itself; a key that already has one is the same host.
                Host = key.EndsWith('.') ? key[..^1] : key,
                Ips = info.Ips.ToEquatableArray(),
                Registry = info.Registry.Length > 0 ? info.Registry : NameInfoConfig.ExternalRegistry,
                ShortName = info.Shortname.Length > 0 ? info.Shortname : null,
                Namespace = info.Namespace.Length > 0 ? info.Namespace : null,
                AltHosts = info.AltHosts.ToEquatableArray(),
            });
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Host, b.Host));
        return result.ToEquatableArray();
    }
}
