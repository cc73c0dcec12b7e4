using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Istio.Networking.Nds.V1;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Client;

/// <summary>
/// The resources accepted so far, by type and name: an immutable set, so that a response can be tried on a copy and
/// NACKed without touching what serves. A state-of-the-world response replaces every cluster or listener and updates
/// endpoints and route tables by name; a delta response adds, replaces and removes resources by name.
/// </summary>
internal sealed record XdsResources
{
    public static readonly XdsResources Empty = new();

    public IReadOnlyDictionary<string, Cluster> Clusters { get; init; } = new Dictionary<string, Cluster>();

    public IReadOnlyDictionary<string, ClusterLoadAssignment> Endpoints { get; init; } = new Dictionary<string, ClusterLoadAssignment>();

    public IReadOnlyDictionary<string, Listener> Listeners { get; init; } = new Dictionary<string, Listener>();

    public IReadOnlyDictionary<string, RouteConfiguration> Routes { get; init; } = new Dictionary<string, RouteConfiguration>();

    /// <summary>istiod's DNS name table (NDS), replaced whole by each response; null until one arrives.</summary>
    public NameTable? NameTable { get; init; }

    /// <summary>Whether clusters and listeners have arrived (the snapshot may be served).</summary>
    public bool HasClusters { get; init; }

    public bool HasListeners { get; init; }

    /// <summary>
    /// These resources with a response's applied: <paramref name="resources"/> added or replaced by name;
    /// <paramref name="removed"/> (delta) dropped; with <paramref name="replaceType"/> (a state-of-the-world response of
    /// a wildcard type) every other resource of the type dropped. Resources that do not parse are errors.
    /// </summary>
    public XdsResources Apply(string typeUrl, IReadOnlyList<Any?> resources, IReadOnlyCollection<string> removed, bool replaceType, TranslationErrors errors)
    {
        switch (typeUrl)
        {
            case XdsTypeUrls.Cluster:
                return this with { Clusters = Merge(replaceType ? null : Clusters, Unpack<Cluster>(typeUrl, resources, c => c.Name, errors), removed), HasClusters = true };
            case XdsTypeUrls.Listener:
                return this with { Listeners = Merge(replaceType ? null : Listeners, Unpack<Listener>(typeUrl, resources, l => l.Name, errors), removed), HasListeners = true };
            case XdsTypeUrls.Endpoints:
                return this with { Endpoints = Merge(Endpoints, Unpack<ClusterLoadAssignment>(typeUrl, resources, a => a.ClusterName, errors), removed) };
            case XdsTypeUrls.Route:
                return this with { Routes = Merge(Routes, Unpack<RouteConfiguration>(typeUrl, resources, r => r.Name, errors), removed) };
            case XdsTypeUrls.NameTable:
                // istiod sends the whole table as one unnamed resource; a response without one (or removing it) empties it.
                var table = Unpack<NameTable>(typeUrl, resources, _ => "", errors).GetValueOrDefault("");
                return this with { NameTable = table ?? (replaceType || removed.Count > 0 ? new NameTable() : NameTable) };
            default:
                // Only the types subscribed to are applied.
                throw new System.Diagnostics.UnreachableException(typeUrl);
        }
    }

    private static Dictionary<string, T> Merge<T>(IReadOnlyDictionary<string, T>? current, Dictionary<string, T> updated, IReadOnlyCollection<string> removed)
    {
        var result = current is null ? new Dictionary<string, T>(StringComparer.Ordinal) : new Dictionary<string, T>(current, StringComparer.Ordinal);
        foreach (var name in removed)
        {
            result.Remove(name);
        }

        foreach (var (name, resource) in updated)
        {
            result[name] = resource;
        }

        return result;
    }

    private static Dictionary<string, T> Unpack<T>(string typeUrl, IReadOnlyList<Any?> resources, Func<T, string> nameOf, TranslationErrors errors)
        where T : class, IMessage<T>, new()
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        for (var i = 0; i < resources.Count; i++)
        {
            if (resources[i] is not { } any)
            {
                continue;
            }

            try
            {
                if (!any.TryUnpack<T>(out var resource))
                {
                    errors.Add(XdsTypeUrls.ShortName(typeUrl), $"resources[{i}]", $"{Any.GetTypeName(any.TypeUrl)} in a {XdsTypeUrls.ShortName(typeUrl)} response");
                    continue;
                }

                result[nameOf(resource)] = resource;
            }
            catch (InvalidProtocolBufferException ex)
            {
                errors.Add(XdsTypeUrls.ShortName(typeUrl), $"resources[{i}]", ex.Message);
            }
        }

        return result;
    }

    /// <summary>The EDS names the clusters need, sorted (what EDS is asked for).</summary>
    public IReadOnlyList<string> EndpointNames() =>
        Clusters.Values.Select(ClusterTranslator.EdsName).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The route tables the listeners name, sorted (what RDS is asked for).</summary>
    public IReadOnlyList<string> RouteNames() =>
        Listeners.Values.SelectMany(ListenerTranslator.RouteNames).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Ready to serve: clusters and listeners, and every endpoint set and route table they name. Not the name table:
    /// istiod sends none when it builds none, and traffic must not wait on the DNS proxy.
    /// </summary>
    public bool IsComplete =>
        HasClusters && HasListeners
        && EndpointNames().All(Endpoints.ContainsKey)
        && RouteNames().All(Routes.ContainsKey);
}
