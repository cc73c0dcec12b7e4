using Sidecar.Model;
using Sidecar.Xds.Client;

namespace Sidecar.Xds.Translation;

/// <summary>
/// Every accepted resource, translated into one snapshot of the model: clusters with their endpoints, listeners,
/// route tables (RDS and inlined), the inbound authorization policies, and what the mesh config would have said
/// (path normalization, request ids, outbound traffic policy) read from the connection managers and the catch-all
/// chain, and istiod's DNS name table once NDS delivered one. The snapshot is validated here too, so that a push the
/// data plane would refuse is NACKed.
/// </summary>
internal static class XdsSnapshotBuilder
{
    public static ProxyConfig Build(XdsResources resources, XdsOptions options, string version, DateTimeOffset now, TranslationErrors errors)
    {
        var parts = new SnapshotParts();
        var clusters = resources.Clusters.Values
            .Select(c => ClusterTranslator.Translate(c, ClusterTranslator.EdsName(c) is { } eds ? resources.Endpoints.GetValueOrDefault(eds) : null, errors))
            .ToEquatableArray();
        var listeners = resources.Listeners.Values.Select(l => ListenerTranslator.Translate(l, parts, errors)).OfType<ListenerConfig>().ToEquatableArray();
        var tables = new Dictionary<string, RouteTableConfig>(StringComparer.Ordinal);
        foreach (var route in resources.Routes.Values)
        {
            tables[route.Name] = RouteTranslator.Translate(route, errors);
        }

        foreach (var inline in parts.InlineRouteTables)
        {
            tables.TryAdd(inline.Name, inline);
        }

        var policies = parts.HttpPolicies.Count > 0 ? parts.HttpPolicies.Values : parts.TcpPolicies.Values;
        var blackHole = listeners.FirstOrDefault(l => l.Name == ListenerNames.VirtualOutbound)?.DefaultFilterChain?.Tcp?.Clusters is [{ Cluster: ClusterName.BlackHole }, ..];
        var mesh = options.Mesh with
        {
            OutboundTrafficPolicy = blackHole ? OutboundTrafficPolicy.RegistryOnly : OutboundTrafficPolicy.AllowAny,
            PathNormalization = parts.PathNormalization ?? PathNormalization.Base,
            ProxyHeaders = options.Mesh.ProxyHeaders with { RequestIdDisabled = !parts.GenerateRequestId },
            Telemetry = (parts.AccessLog is { } log
                ? options.Mesh.Telemetry with { AccessLogFile = log.Path, AccessLogEncoding = log.Encoding, AccessLogFormat = log.Format }
                : options.Mesh.Telemetry) with { OpenTelemetryAccessLog = parts.OpenTelemetryAccessLog },
        };
        var config = new ProxyConfig
        {
            Version = version,
            Origin = new ConfigOrigin("xds", options.Address.ToString(), now,
                resources.Clusters.Keys.Select(n => $"Cluster {n}").Concat(resources.Listeners.Keys.Select(n => $"Listener {n}")).Concat(resources.Routes.Keys.Select(n => $"RouteConfiguration {n}"))
                    .Concat(resources.NameTable is null ? [] : ["NameTable"]).ToEquatableArray()),
            Clusters = clusters,
            Listeners = listeners,
            RouteTables = tables.Values.ToEquatableArray(),
            AuthorizationPolicies = policies.ToEquatableArray(),
            JwtRules = parts.JwtRules.Values.ToEquatableArray(),
            ExtAuthz = parts.ExtAuthz,
            NameTable = resources.NameTable is { } nameTable ? NameTableTranslator.Translate(nameTable) : default,
            Mesh = mesh,
        };

        foreach (var error in ProxyConfigValidator.Validate(config))
        {
            errors.Add(error.Resource ?? "", error.Field ?? "", error.Message);
        }

        return config;
    }
}
