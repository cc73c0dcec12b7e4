using System.Security.Cryptography;
using System.Text;
using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>
/// A stable content hash of a snapshot, used as its version: the same resources always give the same version, and
/// any change to a listener, route table, cluster or endpoint gives another. The origin (time, file list) is excluded.
/// </summary>
internal static class ConfigFingerprint
{
    public static string Compute(ProxyConfig config)
    {
        var text = new StringBuilder();
        text.Append(config.Mesh).Append('\n');
        foreach (var listener in config.Listeners)
        {
            text.Append(listener).Append('\n');
        }

        foreach (var table in config.RouteTables)
        {
            text.Append(table).Append('\n');
        }

        foreach (var cluster in config.Clusters)
        {
            // EndpointConfig.ToString() shows only address:port; spell out every field.
            text.Append(cluster with { Endpoints = default }).Append('\n');
            foreach (var e in cluster.Endpoints)
            {
                text.Append(e.Address).Append('|').Append(e.Port).Append('|').Append(e.Weight).Append('|').Append(e.Labels).Append('|')
                    .Append(e.Health).Append('|').Append(e.Locality).Append('|').Append(e.ServiceAccount).Append('|')
                    .Append(e.WorkloadName).Append('|').Append(e.WorkloadNamespace).Append('\n');
            }
        }

        foreach (var policy in config.AuthorizationPolicies)
        {
            // Records print their fields and EquatableArray prints its items: the text covers every match.
            text.Append(policy).Append('\n');
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    /// <summary>Whether two snapshots have the same content, whatever their version and origin.</summary>
    public static bool SameContent(ProxyConfig a, ProxyConfig b) =>
        a.Mesh == b.Mesh && a.Listeners == b.Listeners && a.RouteTables == b.RouteTables && a.Clusters == b.Clusters;
}
