namespace Sidecar.Model;

/// <summary>
/// The <c>istio.config</c> metadata istiod puts on routes and clusters, naming the resource they came from
/// (<c>/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews</c>), and the model's origin text for
/// the same resource (<c>VirtualService default/reviews</c>): the dump writes one, the xDS source reads the other.
/// </summary>
public static class IstioConfigPath
{
    private static readonly (string Kind, string Group, string Resource)[] Kinds =
    [
        ("VirtualService", "networking.istio.io/v1", "virtual-service"),
        ("DestinationRule", "networking.istio.io/v1", "destination-rule"),
        ("HTTPRoute", "gateway.networking.k8s.io/v1", "httproute"),
        ("GRPCRoute", "gateway.networking.k8s.io/v1", "grpcroute"),
    ];

    /// <summary>
    /// The path for an origin (the first of a comma-separated list); null when it names nothing istiod would.
    /// </summary>
    public static string? FromOrigin(string? origin)
    {
        if (string.IsNullOrEmpty(origin))
        {
            return null;
        }

        var first = origin.Split(", ", 2)[0];
        var space = first.IndexOf(' ', StringComparison.Ordinal);
        var slash = first.IndexOf('/', StringComparison.Ordinal);
        if (space <= 0 || slash < space)
        {
            return null;
        }

        var kind = first[..space];
        foreach (var known in Kinds)
        {
            if (known.Kind == kind)
            {
                return $"/apis/{known.Group}/namespaces/{first[(space + 1)..slash]}/{known.Resource}/{first[(slash + 1)..]}";
            }
        }

        return null;
    }

    /// <summary>The origin for a path; a resource kind not listed keeps istiod's spelling.</summary>
    public static string? ToOrigin(string? path)
    {
        var parts = (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        // apis / group / version / namespaces / ns / resource / name
        if (parts.Length < 7 || parts[3] != "namespaces")
        {
            return null;
        }

        var kind = parts[5];
        foreach (var known in Kinds)
        {
            if (known.Resource == parts[5])
            {
                kind = known.Kind;
                break;
            }
        }

        return $"{kind} {parts[4]}/{parts[6]}";
    }
}
