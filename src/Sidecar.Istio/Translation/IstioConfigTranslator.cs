using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Translation.Clusters;
using Sidecar.Istio.Translation.Listeners;
using Sidecar.Istio.Translation.Security;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>
/// Translates Istio resources into the proxy's snapshot as istiod would generate a sidecar's xDS: listeners
/// (<c>virtualOutbound</c>, <c>virtualInbound</c>, per-port outbound listeners, Sidecar-bound listeners), route tables,
/// clusters and endpoints. Resources are validated first; any error refuses the whole set.
/// </summary>
public static class IstioConfigTranslator
{
    /// <summary>Validates and translates <paramref name="resources"/> for the proxy in <paramref name="context"/>.
    /// The result's config is null when there are errors; it passes <see cref="ProxyConfigValidator"/> otherwise.</summary>
    public static TranslationResult Translate(IReadOnlyList<IstioResource> resources, TranslationContext context)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(context);
        var validation = IstioResourceValidator.Validate(resources);
        if (!validation.IsValid)
        {
            return new TranslationResult(null, validation.Errors, validation.Warnings);
        }

        var push = new PushContext(resources, context);
        push.Warnings.AddRange(validation.Warnings);

        var clusters = new List<ClusterConfig>(InternalClusters.Build(push.Mesh.ConnectTimeout.ToTimeSpan()));
        var outboundClusters = new OutboundClusterBuilder(push);
        foreach (var service in push.Scope.Services)
        {
            clusters.AddRange(outboundClusters.Build(service));
        }

        var outbound = new OutboundListenerBuilder(push);
        var outboundListeners = outbound.Build();
        var inbound = new InboundListenerBuilder(push);
        inbound.Build();
        clusters.AddRange(inbound.Clusters);

        var listeners = new List<ListenerConfig> { CaptureListeners.Outbound(push.CatchAllCluster), CaptureListeners.Inbound([.. inbound.VirtualInboundChains, .. inbound.PassthroughChains()]) };
        listeners.AddRange(outboundListeners);
        listeners.AddRange(inbound.BoundListeners);
        CheckUniqueListeners(listeners, push);

        var routeTables = outbound.RouteTables.Values.Concat(inbound.RouteTables).OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
        WarnAboutMissingClusters(routeTables, listeners, clusters, push);
        if (push.Errors.Count > 0)
        {
            return new TranslationResult(null, push.Errors, push.Warnings);
        }

        var (policies, customProviders) = AuthorizationPolicyTranslator.Translate(push);
        var (authorization, extAuthz) = ExtAuthzTranslator.Resolve(push, policies, customProviders, clusters);
        var config = new ProxyConfig
        {
            Version = "",
            Origin = new ConfigOrigin("files", context.Location, context.LoadedAt,
                resources.Select(r => r.Kind == ResourceKind.MeshConfig ? $"ConfigMap {r.Namespace}/{r.Name}" : r.Id).Order(StringComparer.Ordinal).ToEquatableArray()),
            Listeners = listeners.ToEquatableArray(),
            RouteTables = routeTables.ToEquatableArray(),
            Clusters = Deduplicate(clusters, push).ToEquatableArray(),
            Mesh = new MeshConfig { OutboundTrafficPolicy = push.OutboundTrafficPolicy, TrustDomain = push.Mesh.TrustDomain, PathNormalization = PathNormalizationOf(push.Mesh), ProtocolDetectionTimeout = push.Mesh.ProtocolDetectionTimeout.ToTimeSpan(), Telemetry = TelemetryTranslator.Translate(push), ProxyHeaders = push.Mesh.ProxyHeaders },
            AuthorizationPolicies = authorization.ToEquatableArray(),
            ExtAuthz = extAuthz,
            JwtRules = RequestAuthenticationTranslator.Translate(push).ToEquatableArray(),
            NameTable = Dns.NameTableBuilder.Build(push.Scope.Services).ToEquatableArray(),
        };
        config = config with { Version = ConfigFingerprint.Compute(config) };

        var errors = ProxyConfigValidator.Validate(config);
        return errors.Count > 0 ? new TranslationResult(null, errors, push.Warnings) : new TranslationResult(config, [], push.Warnings);
    }

    private static PathNormalization PathNormalizationOf(MeshConfigSpec mesh) => mesh.PathNormalization switch
    {
        "NONE" => PathNormalization.None,
        "MERGE_SLASHES" => PathNormalization.MergeSlashes,
        "DECODE_AND_MERGE_SLASHES" => PathNormalization.DecodeAndMergeSlashes,
        _ => PathNormalization.Base,
    };

    private static List<ClusterConfig> Deduplicate(List<ClusterConfig> clusters, PushContext push)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ClusterConfig>(clusters.Count);
        foreach (var cluster in clusters)
        {
            if (seen.Add(cluster.Name))
            {
                result.Add(cluster);
            }
            else
            {
                push.Warn(null, $"duplicate cluster {cluster.Name}; the first definition is kept");
            }
        }

        return result;
    }

    private static void CheckUniqueListeners(List<ListenerConfig> listeners, PushContext push)
    {
        foreach (var group in listeners.GroupBy(l => l.Name).Where(g => g.Count() > 1))
        {
            var sidecar = push.Scope.Sidecar;
            if (sidecar is not null)
            {
                push.Error(sidecar, "spec", $"listener {group.Key} is defined twice (an egress and an ingress listener bind the same address and port)");
            }
        }
    }

    /// <summary>Routes may name clusters that do not exist (Envoy answers 503 NC); say so, as istiod's analyzers do.</summary>
    private static void WarnAboutMissingClusters(IEnumerable<RouteTableConfig> tables, IEnumerable<ListenerConfig> listeners, List<ClusterConfig> clusters, PushContext push)
    {
        var names = clusters.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            foreach (var vhost in table.VirtualHosts)
            {
                foreach (var route in vhost.Routes)
                {
                    foreach (var target in route.Route?.Clusters ?? default)
                    {
                        if (!names.Contains(target.Cluster))
                        {
                            missing.Add(target.Cluster);
                        }
                    }

                    foreach (var mirror in route.Route?.Mirrors ?? default)
                    {
                        if (!names.Contains(mirror.Cluster))
                        {
                            missing.Add(mirror.Cluster);
                        }
                    }
                }
            }
        }

        foreach (var listener in listeners)
        {
            foreach (var chain in listener.FilterChains)
            {
                foreach (var target in chain.Tcp?.Clusters ?? default)
                {
                    if (!names.Contains(target.Cluster))
                    {
                        missing.Add(target.Cluster);
                    }
                }
            }
        }

        foreach (var cluster in missing)
        {
            push.Warn(null, $"routes refer to cluster {cluster}, which no service or subset defines (requests to it get 503)");
        }
    }
}
