using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Istio.Networking.Nds.V1;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Client;

/// <summary>
/// The resources accepted so far, by type and name: an immutable set, so that a response can be tried on a copy and
/// NACKed without touching what serves. Clusters and listeners are replaced whole by each response (state of the
/// world); endpoints and route tables arrive per name and are kept until no longer subscribed.
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
