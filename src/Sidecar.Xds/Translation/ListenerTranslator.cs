using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Sidecar.Model;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Sidecar.Xds.Translation;

/// <summary>
/// An Envoy <c>Listener</c> as the model's: address and port, direction, whether this proxy binds it (the capture
/// listeners 15001/15006 and istiod's <c>bind_to_port: false</c> per-port listeners are reached through original
/// destination), and each filter chain with its match, TLS termination and terminal filter (HTTP connection manager
/// or <c>tcp_proxy</c>). Policy filters become the model's authorization policies; a filter this proxy cannot enforce
/// (JWT, external authorization) refuses the push rather than letting requests through unchecked.
/// </summary>
internal static class ListenerTranslator
{
    private const string HttpConnectionManagerFilter = "envoy.filters.network.http_connection_manager";
    private const string TcpProxyFilter = "envoy.filters.network.tcp_proxy";

    /// <summary>Filters istiod adds whose work this proxy does itself (routing, faults, CORS, metadata exchange, stats).</summary>
    /// <summary>Envoy's gRPC-Web filter (istiod's for a <c>grpc-web</c> port): translated, so it needs no typed config here.</summary>
    private const string GrpcWebFilter = "envoy.filters.http.grpc_web";

    private static readonly HashSet<string> NativeFilters = new(StringComparer.Ordinal)
    {
        "envoy.filters.http.router", "envoy.router", "envoy.filters.http.fault", "envoy.fault", "envoy.filters.http.cors", "envoy.cors",
        "istio.metadata_exchange", "istio.stats", "istio.alpn", "istio_authn", "envoy.filters.http.grpc_stats", "envoy.filters.http.peer_metadata",
        "envoy.filters.network.metadata_exchange", "envoy.filters.network.peer_metadata", "envoy.filters.network.upstream_metadata",
    };

    /// <summary>The listener, or null (with a warning) for one without a socket address (an internal listener).</summary>
    public static ListenerConfig? Translate(Listener listener, SnapshotParts parts, TranslationErrors errors)
    {
        var resource = $"Listener {listener.Name}";
        if (listener.Address?.SocketAddress is not { } socket)
        {
            errors.Warn(resource, "address", "a listener without a socket address is not supported: left out");
            return null;
        }

        var inbound = listener.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound || listener.Name == ListenerNames.VirtualInbound;
        var capture = listener.UseOriginalDst == true || listener.Name is ListenerNames.VirtualOutbound or ListenerNames.VirtualInbound;
        var chains = new List<FilterChainConfig>();
        for (var i = 0; i < listener.FilterChains.Count; i++)
        {
            if (Chain(listener.FilterChains[i], inbound, parts, errors, resource, $"filter_chains[{i}]") is { } chain)
            {
                chains.Add(chain);
            }
        }

        return new ListenerConfig
        {
            Name = listener.Name,
            Direction = inbound ? TrafficDirection.Inbound : TrafficDirection.Outbound,
            Address = socket.Address,
            Port = (int)socket.PortValue,
            BindToPort = !capture && listener.BindToPort != false,
            FilterChains = chains.ToEquatableArray(),
            DefaultFilterChain = listener.DefaultFilterChain is { } fallback ? Chain(fallback, inbound, parts, errors, resource, "default_filter_chain") : null,
        };
    }

    /// <summary>The route tables the listener's connection managers name (what RDS is asked for).</summary>
    public static IEnumerable<string> RouteNames(Listener listener)
    {
        foreach (var chain in listener.FilterChains.Append(listener.DefaultFilterChain))
        {
            foreach (var filter in chain?.Filters ?? [])
            {
                if (filter.TypedConfig?.TryUnpack<HttpConnectionManager>(out var manager) == true && manager.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds)
                {
                    yield return manager.Rds.RouteConfigName;
                }
            }
        }
    }

    private static FilterChainConfig? Chain(FilterChain chain, bool inbound, SnapshotParts parts, TranslationErrors errors, string resource, string field)
    {
        var match = chain.FilterChainMatch;
        if (match is not null && (match.SourcePrefixRanges.Count > 0 || match.DirectSourcePrefixRanges.Count > 0 || match.SourcePorts.Count > 0
            || match.SourceType != FilterChainMatch.Types.ConnectionSourceType.Any))
        {
            errors.Warn(resource, field + ".filter_chain_match", "matching on the connection's source is not supported: the chain is left out");
            return null;
        }

        var config = new FilterChainConfig
        {
            Name = chain.Name is { Length: > 0 } name ? name : field,
            Match = match is null ? FilterChainMatchConfig.Any : new FilterChainMatchConfig
            {
                DestinationPort = match.DestinationPort is { } port ? (int)port : null,
                ServerNames = match.ServerNames.ToEquatableArray(),
                TransportProtocol = match.TransportProtocol is { Length: > 0 } transport ? transport : null,
                ApplicationProtocols = match.ApplicationProtocols.ToEquatableArray(),
                PrefixRanges = match.PrefixRanges.Select(XdsValues.Cidr).ToEquatableArray(),
            },
        };

        if (chain.TransportSocket?.TypedConfig is { } socket)
        {
            if (!socket.TryUnpack<DownstreamTlsContext>(out var tls))
            {
                errors.Add(resource, field + ".transport_socket", $"transport socket {socket.TypeUrl} is not supported");
                return null;
            }

            config = config with { Tls = DownstreamTls(tls) };
        }

        for (var i = 0; i < chain.Filters.Count; i++)
        {
            var filter = chain.Filters[i];
            var at = $"{field}.filters[{i}]";
            var typed = filter.TypedConfig;
            if (typed?.TryUnpack<HttpConnectionManager>(out var manager) == true)
            {
                return config with { Http = ConnectionManager(manager, inbound, parts, errors, resource, at) };
            }

            if (typed?.TryUnpack<TcpProxy>(out var tcp) == true)
            {
                // istiod gives tcp_proxy the access logs it gives the connection managers: a workload with TCP
                // ports only has them here.
                parts.AccessLog ??= AccessLogTranslator.Read(tcp.AccessLog, errors, resource, at + ".access_log");
                parts.OpenTelemetryAccessLog ??= OpenTelemetryAccessLogTranslator.Read(tcp.AccessLog, errors, resource, at + ".access_log");
                return config with { Tcp = TcpProxy(tcp) };
            }

            if (typed?.TryUnpack<NetworkRbac>(out var rbac) == true)
            {
                if (inbound)
                {
                    RbacTranslator.Add(rbac.Rules, rbac.StatPrefix, parts.TcpPolicies, errors, resource, at);
                }
            }
            else if (filter.Name is HttpConnectionManagerFilter or TcpProxyFilter)
            {
                errors.Add(resource, at, $"{filter.Name} without its typed config");
                return null;
            }
            else if (!NativeFilters.Contains(filter.Name))
            {
                errors.Warn(resource, at, $"network filter {filter.Name} is not run by this sidecar");
            }
        }

        // No terminal filter: Envoy would close such connections; so does this proxy.
        return config with { NotFound = true };
    }

    private static HttpConnectionManagerConfig ConnectionManager(HttpConnectionManager manager, bool inbound, SnapshotParts parts, TranslationErrors errors, string resource, string field)
    {
        string tableName;
        if (manager.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.RouteConfig)
        {
            var table = RouteTranslator.Translate(manager.RouteConfig, errors);
            tableName = table.Name;
            parts.InlineRouteTables.Add(table);
        }
        else if (manager.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds)
        {
            tableName = manager.Rds.RouteConfigName;
        }
        else
        {
            errors.Add(resource, field, "a connection manager needs rds or route_config (scoped routes are not supported)");
            tableName = "";
        }

        var grpcWeb = false;
        for (var i = 0; i < manager.HttpFilters.Count; i++)
        {
            var filter = manager.HttpFilters[i];
            if (filter.Disabled)
            {
                continue;
            }

            if (filter.Name == GrpcWebFilter)
            {
                grpcWeb = true;
                continue;
            }

            var at = $"{field}.http_filters[{i}]";
            if (filter.TypedConfig?.TryUnpack<HttpRbac>(out var rbac) == true)
            {
                if (inbound)
                {
                    RbacTranslator.Add(rbac.Rules, rbac.RulesStatPrefix, parts.HttpPolicies, errors, resource, at);
                    if (rbac.ShadowRulesStatPrefix == ExtAuthzTranslator.CustomPoliciesStatPrefix)
                    {
                        RbacTranslator.Add(rbac.ShadowRules, rbac.ShadowRulesStatPrefix, parts.HttpPolicies, errors, resource, at + ".shadow_rules", custom: true);
                    }
                }
            }
            else if (filter.TypedConfig?.TryUnpack<Envoy.Extensions.Filters.Http.ExtAuthz.V3.ExtAuthz>(out var extAuthz) == true)
            {
                if (inbound)
                {
                    parts.ExtAuthz ??= ExtAuthzTranslator.Translate(extAuthz, errors, resource, at);
                }
            }
            else if (filter.TypedConfig?.TryUnpack<Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtAuthentication>(out var jwt) == true)
            {
                if (inbound)
                {
                    JwtTranslator.Add(jwt, parts.JwtRules, errors, resource, at);
                }
            }
            else if (filter.Name is "envoy.filters.http.jwt_authn" or "envoy.filters.http.ext_authz" && !filter.IsOptional)
            {
                // A policy filter without the config this sidecar reads: refused rather than run without it.
                errors.Add(resource, at, $"{filter.Name} without its typed config (or of a type this sidecar does not read)");
            }
            else if (!NativeFilters.Contains(filter.Name))
            {
                // An EnvoyFilter's Lua or Wasm, say: logged, as the request goes on without it.
                errors.Warn(resource, at, $"HTTP filter {filter.Name} is not run by this sidecar");
            }
        }

        parts.AccessLog ??= AccessLogTranslator.Read(manager.AccessLog, errors, resource, field + ".access_log");
        parts.OpenTelemetryAccessLog ??= OpenTelemetryAccessLogTranslator.Read(manager.AccessLog, errors, resource, field + ".access_log");
        if (!inbound)
        {
            parts.PathNormalization ??= manager.NormalizePath == false ? PathNormalization.None
                : manager.PathWithEscapedSlashesAction == HttpConnectionManager.Types.PathWithEscapedSlashesAction.UnescapeAndForward ? PathNormalization.DecodeAndMergeSlashes
                : manager.MergeSlashes ? PathNormalization.MergeSlashes
                : PathNormalization.Base;
            parts.GenerateRequestId &= manager.GenerateRequestId != false;
        }

        return new HttpConnectionManagerConfig
        {
            RouteTableName = tableName,
            StatPrefix = manager.StatPrefix,
            StreamIdleTimeout = XdsValues.Duration(manager.StreamIdleTimeout) ?? TimeSpan.FromMinutes(5),
            ForwardClientCertDetails = manager.ForwardClientCertDetails is HttpConnectionManager.Types.ForwardClientCertDetails.AppendForward
                or HttpConnectionManager.Types.ForwardClientCertDetails.SanitizeSet,
            GrpcWeb = grpcWeb,
        };
    }

    private static TcpProxyConfig TcpProxy(TcpProxy tcp) => new()
    {
        StatPrefix = tcp.StatPrefix,
        Clusters = tcp.ClusterSpecifierCase == Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy.ClusterSpecifierOneofCase.WeightedClusters
            ? tcp.WeightedClusters.Clusters.Select(c => new WeightedClusterConfig { Cluster = c.Name, Weight = (int)c.Weight }).ToEquatableArray()
            : [new WeightedClusterConfig { Cluster = tcp.Cluster }],
        IdleTimeout = XdsValues.Duration(tcp.IdleTimeout) ?? TimeSpan.FromHours(1),
        Tunneling = tcp.TunnelingConfig is { } tunnel
            ? new TcpTunnelingConfig(tunnel.Hostname, tunnel.UsePost, tunnel.PostPath is { Length: > 0 } path ? path : "/")
            : null,
    };

    /// <summary>Istio's inbound mTLS: the workload certificate, client certificates required, peers checked by SAN prefix.</summary>
    private static DownstreamTlsConfig DownstreamTls(DownstreamTlsContext tls)
    {
        var common = tls.CommonTlsContext;
        var validation = common?.CombinedValidationContext?.DefaultValidationContext ?? common?.ValidationContext;
        // istiod names one prefix per trust domain and alias (spiffe://td/).
        var prefixes = validation is null ? [] : validation.MatchTypedSubjectAltNames.Select(m => m.Matcher).Concat(validation.MatchSubjectAltNames)
            .Where(m => m?.MatchPatternCase == Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Prefix).Select(m => m.Prefix).ToList();
        return new DownstreamTlsConfig
        {
            RequireClientCertificate = tls.RequireClientCertificate ?? false,
            Alpn = (common?.AlpnProtocols ?? []).ToEquatableArray(),
            PeerSanPrefixes = prefixes.ToEquatableArray(),
        };
    }
}
