using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Translation.Scope;

/// <summary>
/// istiod's <c>mergeVirtualServicesIfNeeded</c>: a root VirtualService's <c>http[].delegate</c> is replaced by the
/// delegate's routes (a VirtualService without hosts), each match narrowed by the root's and each unset policy taken
/// from the root's route. A delegate match that is not within the root's (a conflict) drops that delegate route; a
/// delegate that is missing or not exported to the root's namespace drops the root's route.
/// </summary>
internal static class VirtualServiceDelegation
{
    public static IReadOnlyList<IstioResource> Merge(IReadOnlyList<IstioResource> resources, MeshConfigSpec mesh, Action<IstioResource, string> warn)
    {
        var delegates = resources
            .Where(r => r.Spec is VirtualServiceSpec { Hosts.Count: 0 })
            .GroupBy(r => (r.Namespace, r.Name))
            .ToDictionary(g => g.Key, g => g.First());
        if (!resources.Any(r => r.Spec is VirtualServiceSpec { Hosts.Count: > 0 } vs && vs.Http.Any(h => h.Delegate is not null)))
        {
            return resources;
        }

        return resources.Select(r => r.Spec is VirtualServiceSpec { Hosts.Count: > 0 } root && root.Http.Any(h => h.Delegate is not null)
            ? r with { Spec = root with { Http = MergeRoot(r, root, delegates, mesh, warn) } }
            : r).ToArray();
    }

    private static List<HttpRoute> MergeRoot(IstioResource resource, VirtualServiceSpec root, Dictionary<(string, string), IstioResource> delegates, MeshConfigSpec mesh, Action<IstioResource, string> warn)
    {
        var merged = new List<HttpRoute>();
        for (var i = 0; i < root.Http.Count; i++)
        {
            var route = root.Http[i];
            if (route.Delegate is not { Name: { } name } delegation)
            {
                merged.Add(route);
                continue;
            }

            var ns = string.IsNullOrEmpty(delegation.Namespace) ? resource.Namespace : delegation.Namespace;
            if (!delegates.TryGetValue((ns, name), out var target))
            {
                warn(resource, $"spec.http[{i}].delegate: delegate virtual service {ns}/{name} not found; the route is left out");
                continue;
            }

            var spec = (VirtualServiceSpec)target.Spec;
            if (!Visibility.IsVisible(spec.ExportTo.Count > 0 ? spec.ExportTo : mesh.DefaultVirtualServiceExportTo, target.Namespace, resource.Namespace))
            {
                warn(resource, $"spec.http[{i}].delegate: delegate virtual service {ns}/{name} is not exported to {resource.Namespace}; the route is left out");
                continue;
            }

            foreach (var child in spec.Http)
            {
                if (MergeRoute(route, child) is { } result)
                {
                    merged.Add(result);
                }
                else
                {
                    warn(target, $"a route's match conflicts with the match of root {resource.Id} (it is not within it); the route is left out");
                }
            }
        }

        return merged;
    }

    // mergeHTTPRoute: the delegate's own settings win; what it leaves unset comes from the root's route.
    private static HttpRoute? MergeRoute(HttpRoute root, HttpRoute child)
    {
        if (MergeMatches(root.Match, child.Match) is not { } match)
        {
            return null;
        }

        return child with
        {
            Match = match,
            Name = string.IsNullOrEmpty(child.Name) ? root.Name : string.IsNullOrEmpty(root.Name) ? child.Name : $"{root.Name}-{child.Name}",
            Rewrite = child.Rewrite ?? root.Rewrite,
            DirectResponse = child.DirectResponse ?? root.DirectResponse,
            Timeout = child.Timeout ?? root.Timeout,
            Retries = child.Retries ?? root.Retries,
            Fault = child.Fault ?? root.Fault,
            Mirror = child.Mirror ?? root.Mirror,
            MirrorPercent = child.MirrorPercent ?? root.MirrorPercent,
            MirrorPercentage = child.MirrorPercentage ?? root.MirrorPercentage,
            CorsPolicy = child.CorsPolicy ?? root.CorsPolicy,
            Mirrors = child.Mirrors.Count > 0 ? child.Mirrors : root.Mirrors,
            Headers = child.Headers ?? root.Headers,
        };
    }

    // mergeHTTPMatchRequests: every delegate match must fall within some root match; null on a conflict.
    private static IReadOnlyList<HttpMatchRequest>? MergeMatches(IReadOnlyList<HttpMatchRequest> root, IReadOnlyList<HttpMatchRequest> child)
    {
        if (root.Count == 0)
        {
            return child;
        }

        if (child.Count == 0)
        {
            return root;
        }

        var merged = new List<HttpMatchRequest>();
        foreach (var leaf in child)
        {
            var found = false;
            foreach (var parent in root)
            {
                if (!HasConflict(parent, leaf))
                {
                    merged.Add(MergeMatch(parent, leaf));
                    found = true;
                }
            }

            if (!found)
            {
                return null;
            }
        }

        return merged.Count == 0 ? null : merged;
    }

    private static HttpMatchRequest MergeMatch(HttpMatchRequest root, HttpMatchRequest leaf) => leaf with
    {
        Name = string.IsNullOrEmpty(leaf.Name) ? root.Name : string.IsNullOrEmpty(root.Name) ? leaf.Name : $"{root.Name}-{leaf.Name}",
        Uri = leaf.Uri ?? root.Uri,
        Scheme = leaf.Scheme ?? root.Scheme,
        Method = leaf.Method ?? root.Method,
        Authority = leaf.Authority ?? root.Authority,
        Headers = Union(root.Headers, leaf.Headers),
        WithoutHeaders = Union(root.WithoutHeaders, leaf.WithoutHeaders),
        QueryParams = Union(root.QueryParams, leaf.QueryParams),
        Port = leaf.Port is > 0 ? leaf.Port : root.Port,
        SourceLabels = root.SourceLabels.Concat(leaf.SourceLabels).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value),
        SourceNamespace = string.IsNullOrEmpty(leaf.SourceNamespace) ? root.SourceNamespace : leaf.SourceNamespace,
        Gateways = leaf.Gateways.Count > 0 ? leaf.Gateways : root.Gateways,
        StatPrefix = string.IsNullOrEmpty(leaf.StatPrefix) ? root.StatPrefix : leaf.StatPrefix,
    };

    // The root's conditions, then the delegate's (which replace a root condition on the same name).
    private static KeyValuePair<string, StringMatch>[] Union(IReadOnlyList<KeyValuePair<string, StringMatch>> root, IReadOnlyList<KeyValuePair<string, StringMatch>> leaf) =>
        [.. root.Where(r => !leaf.Any(l => l.Key == r.Key)), .. leaf];

    /// <summary>istiod's <c>hasConflict</c>: whether the delegate's match can select what the root's does not.</summary>
    private static bool HasConflict(HttpMatchRequest root, HttpMatchRequest leaf)
    {
        if (Conflict(root.Uri, leaf.Uri) || Conflict(root.Scheme, leaf.Scheme) || Conflict(root.Method, leaf.Method) || Conflict(root.Authority, leaf.Authority))
        {
            return true;
        }

        if (leaf.Headers.Any(h => Conflict(Find(root.Headers, h.Key), h.Value))
            || leaf.WithoutHeaders.Any(h => Conflict(Find(root.WithoutHeaders, h.Key), h.Value))
            || leaf.QueryParams.Any(q => Conflict(Find(root.QueryParams, q.Key), q.Value)))
        {
            return true;
        }

        if (root.IgnoreUriCase != leaf.IgnoreUriCase || (root.Port is > 0 && leaf.Port is > 0 && root.Port != leaf.Port))
        {
            return true;
        }

        if (!string.IsNullOrEmpty(root.SourceNamespace) && leaf.SourceNamespace != root.SourceNamespace)
        {
            return true;
        }

        if (leaf.SourceLabels.Any(l => root.SourceLabels.TryGetValue(l.Key, out var v) && v != l.Value))
        {
            return true;
        }

        return root.Gateways.Count > 0 && leaf.Gateways.Count > 0 && leaf.Gateways.Any(g => !root.Gateways.Contains(g));
    }

    private static StringMatch? Find(IReadOnlyList<KeyValuePair<string, StringMatch>> matches, string name)
    {
        foreach (var (key, value) in matches)
        {
            if (key == name)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>istiod's <c>stringMatchConflict</c>: no conflict when either side is unset; a regex on either side
    /// conflicts with any other condition; an exact root needs the same exact; a prefix root needs a value under it.</summary>
    private static bool Conflict(StringMatch? root, StringMatch? leaf)
    {
        if (root is null || leaf is null)
        {
            return false;
        }

        if (root.Regex is { Length: > 0 } && (leaf.Regex is { Length: > 0 } || leaf.Prefix is { Length: > 0 } || leaf.Exact is { Length: > 0 }))
        {
            return true;
        }

        if (leaf.Regex is { Length: > 0 } && (root.Regex is { Length: > 0 } || root.Prefix is { Length: > 0 } || root.Exact is { Length: > 0 }))
        {
            return true;
        }

        if (root.Exact is { Length: > 0 } exact)
        {
            return leaf.Prefix is { Length: > 0 } || leaf.Exact != exact;
        }

        if (root.Prefix is { Length: > 0 } prefix)
        {
            if (leaf.Prefix is { Length: > 0 } leafPrefix)
            {
                return !leafPrefix.StartsWith(prefix, StringComparison.Ordinal);
            }

            if (leaf.Exact is { Length: > 0 } leafExact)
            {
                return !leafExact.StartsWith(prefix, StringComparison.Ordinal);
            }
        }

        return true;
    }
}
