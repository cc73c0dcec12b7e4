using Sidecar.Istio.Resources;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Scope;

/// <summary>
/// The three levels Istio resolves workload policies at (PeerAuthentication, Telemetry): mesh-wide (no selector, in
/// the root namespace), namespace-wide (no selector, in the workload's namespace) and workload (a selector matching
/// the workload's labels, in its namespace). When several compete at one level Istio takes the oldest; here the
/// first by name, so the choice does not depend on file order.
/// </summary>
internal readonly record struct PolicyLevels(IstioResource? Mesh, IstioResource? Namespace, IstioResource? Workload)
{
    public static PolicyLevels Find(
        IReadOnlyList<IstioResource> resources,
        ResourceKind kind,
        Func<IstioSpec, IReadOnlyDictionary<string, string>?> selectorOf,
        WorkloadInfo workload,
        string rootNamespace)
    {
        IstioResource? mesh = null, ns = null, selected = null;
        foreach (var resource in resources.Where(r => r.Kind == kind).OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var selector = selectorOf(resource.Spec);
            var hasSelector = selector is { Count: > 0 };
            if (!hasSelector && resource.Namespace == rootNamespace)
            {
                mesh ??= resource;
            }

            if (resource.Namespace != workload.Namespace)
            {
                continue;
            }

            if (!hasSelector)
            {
                ns ??= resource;
            }
            else if (workload.Labels.IsSupersetOf(Labels.From(selector!)))
            {
                selected ??= resource;
            }
        }

        return new PolicyLevels(mesh, ns, selected);
    }

    /// <summary>The levels present, least specific first, so each can override what the one before set.</summary>
    public IEnumerable<IstioResource> LeastSpecificFirst()
    {
        foreach (var level in new[] { Mesh, Namespace, Workload })
        {
            if (level is not null)
            {
                yield return level;
            }
        }
    }
}
