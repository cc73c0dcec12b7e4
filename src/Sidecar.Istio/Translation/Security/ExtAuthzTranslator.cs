using System.Globalization;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Security;

/// <summary>
/// AuthorizationPolicy CUSTOM: the <c>envoyExtAuthzHttp</c> or <c>envoyExtAuthzGrpc</c> provider the workload's CUSTOM
/// policies name, as istiod's authz builder turns it into Envoy's ext_authz filter. As in Istio, one provider per
/// workload; when it cannot be used (unknown, two providers, service not visible), the CUSTOM policies become DENY
/// policies: the requests they match are refused, never let through unchecked.
/// </summary>
internal static class ExtAuthzTranslator
{
    public static (List<AuthorizationPolicyConfig> Policies, ExtAuthzConfig? ExtAuthz) Resolve(
        PushContext push, List<AuthorizationPolicyConfig> policies, IReadOnlyDictionary<string, string> customProviders, IReadOnlyCollection<ClusterConfig> clusters)
    {
        if (customProviders.Count == 0)
        {
            return (policies, null);
        }

        var (extAuthz, problem) = Build(push, customProviders, clusters);
        if (extAuthz is not null)
        {
            return (policies, extAuthz);
        }

        push.Warn(null, $"AuthorizationPolicy CUSTOM ({string.Join(", ", customProviders.Keys)}): {problem}; the requests its rules match are denied, as Istio does");
        return ([.. policies.Select(p => p.Action == AuthorizationAction.Custom ? p with { Action = AuthorizationAction.Deny } : p)], null);
    }

    private static (ExtAuthzConfig? Config, string Problem) Build(PushContext push, IReadOnlyDictionary<string, string> customProviders, IReadOnlyCollection<ClusterConfig> clusters)
    {
        var names = customProviders.Values.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count > 1)
        {
            return (null, $"only 1 provider can be used per workload, found {string.Join(", ", names)}");
        }

        var provider = push.Mesh.ExtAuthzProviders.FirstOrDefault(p => p.Name == names[0]);
        if (provider is null)
        {
            return (null, $"provider {names[0]} is not an external authorization provider in the mesh config's extensionProviders");
        }

        var slash = provider.Service.IndexOf('/', StringComparison.Ordinal);
        var host = slash >= 0 ? provider.Service[(slash + 1)..] : provider.Service;
        var cluster = ClusterName.Outbound(provider.Port, null, host);
        if (!clusters.Any(c => c.Name == cluster))
        {
            return (null, $"service {provider.Service} port {provider.Port.ToString(CultureInfo.InvariantCulture)} of provider {provider.Name} is not a service this sidecar sees (cluster {cluster})");
        }

        return (new ExtAuthzConfig
        {
            Provider = provider.Name,
            Protocol = provider.Kind == "envoyExtAuthzGrpc" ? ExtAuthzProtocol.Grpc : ExtAuthzProtocol.Http,
            Cluster = cluster,
            PathPrefix = provider.PathPrefix ?? "",
            Timeout = provider.Timeout?.ToTimeSpan() ?? TimeSpan.FromSeconds(600),
            FailOpen = provider.FailOpen,
            StatusOnError = int.TryParse(provider.StatusOnError, NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : 403,
            IncludeRequestHeaders = provider.IncludeRequestHeadersInCheck.Select(h => h.ToLowerInvariant()).ToEquatableArray(),
            AdditionalHeaders = provider.IncludeAdditionalHeadersInCheck.Select(h => new HeaderValueConfig(h.Key, h.Value)).ToEquatableArray(),
            HeadersToUpstreamOnAllow = provider.HeadersToUpstreamOnAllow.ToEquatableArray(),
            HeadersToDownstreamOnDeny = provider.HeadersToDownstreamOnDeny.ToEquatableArray(),
            HeadersToDownstreamOnAllow = provider.HeadersToDownstreamOnAllow.ToEquatableArray(),
            MaxRequestBytes = provider.MaxRequestBytes is { } max ? (int)Math.Min(max, int.MaxValue) : null,
            AllowPartialMessage = provider.AllowPartialMessage,
        }, "");
    }
}
