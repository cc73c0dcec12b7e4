using System.Diagnostics.CodeAnalysis;

namespace Sidecar.Model;

/// <summary>
/// Istio's cluster naming: <c>direction|port|subset|host</c>, e.g. <c>outbound|9080|v1|reviews.default.svc.cluster.local</c>
/// and <c>inbound|9080||</c>; plus the well-known internal clusters.
/// </summary>
public static class ClusterName
{
    public const string Passthrough = "PassthroughCluster";
    public const string BlackHole = "BlackHoleCluster";
    public const string InboundPassthrough = "InboundPassthroughCluster";

    public static string Outbound(int port, string? subset, string host) => $"outbound|{port}|{subset}|{host}";

    public static string Inbound(int port) => $"inbound|{port}||";

    /// <summary>Splits an Istio cluster name into its parts.</summary>
    public static bool TryParse(string name, [NotNullWhen(true)] out string? direction, out int port, out string? subset, out string? host)
    {
        direction = null;
        port = 0;
        subset = null;
        host = null;
        var parts = name.Split('|');
        if (parts.Length != 4 || !int.TryParse(parts[1], out port))
        {
            return false;
        }

        direction = parts[0];
        subset = parts[2].Length == 0 ? null : parts[2];
        host = parts[3].Length == 0 ? null : parts[3];
        return true;
    }
}
