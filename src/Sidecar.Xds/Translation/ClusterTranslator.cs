using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Extensions.TransportSockets.ProxyProtocol.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Sidecar.Model;
using EnvoyHttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Sidecar.Xds.Translation;

/// <summary>
/// An Envoy <c>Cluster</c> (with its EDS assignment) as the model's <see cref="ClusterConfig"/>: discovery type, load
/// balancing, circuit breakers (Envoy's defaults where istiod sets none), outlier detection, HTTP protocol options,
/// TLS (ISTIO_MUTUAL when the certificate is SDS secret <c>default</c>) and auto mTLS's transport socket matches, the
/// PROXY protocol socket that wraps them, and the service from istiod's <c>istio</c> metadata or the cluster name.
/// </summary>
internal static class ClusterTranslator
{
    private const string HttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    public static ClusterConfig Translate(Cluster cluster, ClusterLoadAssignment? assignment, TranslationErrors errors)
    {
        var resource = $"Cluster {cluster.Name}";
        var type = cluster.Type switch
        {
            Cluster.Types.DiscoveryType.StrictDns => ClusterDiscoveryType.StrictDns,
            Cluster.Types.DiscoveryType.LogicalDns => ClusterDiscoveryType.LogicalDns,
            Cluster.Types.DiscoveryType.Eds => ClusterDiscoveryType.Eds,
            Cluster.Types.DiscoveryType.OriginalDst => ClusterDiscoveryType.OriginalDst,
            _ => ClusterDiscoveryType.Static,
        };
        var endpoints = type switch
        {
            ClusterDiscoveryType.Eds => assignment,
            ClusterDiscoveryType.OriginalDst => null,
            _ => cluster.LoadAssignment,
        };

        var config = new ClusterConfig
        {
            Name = cluster.Name,
            Type = type,
            LbPolicy = cluster.LbPolicy switch
            {
                Cluster.Types.LbPolicy.RoundRobin => LoadBalancerPolicy.RoundRobin,
                Cluster.Types.LbPolicy.Random => LoadBalancerPolicy.Random,
                Cluster.Types.LbPolicy.RingHash => LoadBalancerPolicy.RingHash,
                Cluster.Types.LbPolicy.Maglev => LoadBalancerPolicy.Maglev,
                Cluster.Types.LbPolicy.ClusterProvided => LoadBalancerPolicy.ClusterProvided,
                _ => LoadBalancerPolicy.LeastRequest,
            },
            LeastRequestChoiceCount = (int)(cluster.LeastRequestLbConfig?.ChoiceCount ?? 2),
            MinimumRingSize = (int)Math.Min(cluster.RingHashLbConfig?.MinimumRingSize ?? 1024, 8_388_608),
            SlowStartWindow = XdsValues.Duration(SlowStart(cluster)?.SlowStartWindow),
            SlowStartAggression = SlowStart(cluster)?.Aggression?.DefaultValue is > 0 and var aggression ? aggression : 1.0,
            SlowStartMinWeightPercent = SlowStart(cluster)?.MinWeightPercent?.Value ?? 10,
            Endpoints = endpoints is null ? default : EndpointTranslator.Translate(endpoints),
            // Envoy's default connect timeout is 5 s; istiod always sets one (10 s unless the DestinationRule says).
            ConnectTimeout = XdsValues.Duration(cluster.ConnectTimeout) ?? TimeSpan.FromSeconds(5),
            CircuitBreakers = CircuitBreakers(cluster.CircuitBreakers),
            OutlierDetection = cluster.OutlierDetection is { } outlier ? OutlierDetection(outlier) : null,
            HealthyPanicThresholdPercent = cluster.CommonLbConfig?.HealthyPanicThreshold is { } panic ? (int)Math.Round(panic.Value) : null,
            DnsRefreshRate = XdsValues.Duration(cluster.DnsRefreshRate) ?? TimeSpan.FromSeconds(5),
            UpstreamBindAddress = cluster.UpstreamBindConfig?.SourceAddress?.Address is { Length: > 0 } bind ? bind : null,
            TcpKeepalive = cluster.UpstreamConnectionOptions?.TcpKeepalive is { } keepalive
                ? new TcpKeepaliveConfig((int?)keepalive.KeepaliveProbes, Seconds(keepalive.KeepaliveTime), Seconds(keepalive.KeepaliveInterval))
                : null,
            Service = Service(cluster),
            Origin = XdsValues.Origin(cluster.Metadata),
        };

        config = ApplyProtocolOptions(config, cluster, errors, resource);
        return ApplyTls(config, cluster, errors, resource);
    }

    /// <summary>The names EDS is asked for: each EDS cluster's <c>service_name</c>, else its own name.</summary>
    public static string? EdsName(Cluster cluster) =>
        cluster.Type == Cluster.Types.DiscoveryType.Eds
            ? cluster.EdsClusterConfig?.ServiceName is { Length: > 0 } service ? service : cluster.Name
            : null;

    private static TimeSpan? Seconds(uint? seconds) => seconds is { } value ? TimeSpan.FromSeconds(value) : null;

    /// <summary>The default-priority thresholds; Envoy's own defaults (1024, 1024, 1024, 3) where a field is unset.</summary>
    private static CircuitBreakersConfig CircuitBreakers(CircuitBreakers? breakers)
    {
        var thresholds = breakers?.Thresholds.FirstOrDefault(t => t.Priority == Envoy.Config.Core.V3.RoutingPriority.Default);
        return new CircuitBreakersConfig
        {
            MaxConnections = thresholds?.MaxConnections ?? 1024,
            MaxPendingRequests = thresholds?.MaxPendingRequests ?? 1024,
            MaxRequests = thresholds?.MaxRequests ?? 1024,
            MaxRetries = thresholds?.MaxRetries ?? 3,
            // Envoy's defaults for a budget's unset fields: 20% of the active requests, at least 3.
            RetryBudget = thresholds?.RetryBudget is { } budget
                ? new RetryBudgetConfig(budget.BudgetPercent?.Value ?? 20, budget.MinRetryConcurrency ?? 3)
                : null,
        };
    }

    /// <summary>Envoy's outlier detection with its defaults: a check counts only while its enforcement is above 0.</summary>
    private static OutlierDetectionConfig OutlierDetection(OutlierDetection outlier) => new()
    {
        Consecutive5xx = (outlier.EnforcingConsecutive5Xx ?? 100) > 0 ? (int)(outlier.Consecutive5Xx ?? 5) : null,
        ConsecutiveGatewayErrors = (outlier.EnforcingConsecutiveGatewayFailure ?? 0) > 0 ? (int)(outlier.ConsecutiveGatewayFailure ?? 5) : null,
        SplitExternalLocalOriginErrors = outlier.SplitExternalLocalOriginErrors,
        ConsecutiveLocalOriginFailures = outlier.SplitExternalLocalOriginErrors && (outlier.EnforcingConsecutiveLocalOriginFailure ?? 100) > 0
            ? (int)(outlier.ConsecutiveLocalOriginFailure ?? 5)
            : null,
        Interval = XdsValues.Duration(outlier.Interval) ?? TimeSpan.FromSeconds(10),
        BaseEjectionTime = XdsValues.Duration(outlier.BaseEjectionTime) ?? TimeSpan.FromSeconds(30),
        MaxEjectionPercent = (int)(outlier.MaxEjectionPercent ?? 10),
    };

    private static Cluster.Types.SlowStartConfig? SlowStart(Cluster cluster) =>
        cluster.LeastRequestLbConfig?.SlowStartConfig ?? cluster.RoundRobinLbConfig?.SlowStartConfig;

    /// <summary>The upstream HTTP protocol and connection limits; without the extension Envoy speaks HTTP/1.1 upstream.</summary>
    private static ClusterConfig ApplyProtocolOptions(ClusterConfig config, Cluster cluster, TranslationErrors errors, string resource)
    {
        if (!cluster.TypedExtensionProtocolOptions.TryGetValue(HttpProtocolOptionsKey, out var any))
        {
            return config with { HttpProtocol = UpstreamHttpProtocol.Http1 };
        }

        if (!any.TryUnpack<EnvoyHttpProtocolOptions>(out var options))
        {
            errors.Add(resource, $"typed_extension_protocol_options[{HttpProtocolOptionsKey}]", $"expected {HttpProtocolOptionsKey}, got {any.TypeUrl}");
            return config;
        }

        var common = options.CommonHttpProtocolOptions;
        return config with
        {
            IdleTimeout = XdsValues.Duration(common?.IdleTimeout) ?? TimeSpan.FromHours(1),
            MaxRequestsPerConnection = common?.MaxRequestsPerConnection is { } max and > 0 ? (int)max : null,
            MaxConnectionDuration = XdsValues.Duration(common?.MaxConnectionDuration),
            HttpProtocol = options.UpstreamProtocolOptionsCase switch
            {
                EnvoyHttpProtocolOptions.UpstreamProtocolOptionsOneofCase.UseDownstreamProtocolConfig => UpstreamHttpProtocol.UseDownstream,
                EnvoyHttpProtocolOptions.UpstreamProtocolOptionsOneofCase.ExplicitHttpConfig when options.ExplicitHttpConfig.Http2ProtocolOptions is not null => UpstreamHttpProtocol.Http2,
                _ => UpstreamHttpProtocol.Http1,
            },
            MaxConcurrentStreams = options.ExplicitHttpConfig?.Http2ProtocolOptions?.MaxConcurrentStreams is { } streams and > 0 and <= int.MaxValue ? (int)streams : null,
        };
    }

    private static ClusterConfig ApplyTls(ClusterConfig config, Cluster cluster, TranslationErrors errors, string resource)
    {
        ProxyProtocolVersion? proxyProtocol = null;
        if (cluster.TransportSocket is { } transportSocket)
        {
            if (Unwrap(transportSocket, ref proxyProtocol)?.TypedConfig is not { } socket)
            {
                return config with { ProxyProtocol = proxyProtocol };
            }

            if (socket.TryUnpack<UpstreamTlsContext>(out var tls))
            {
                return config with { Tls = UpstreamTls(tls, resource, "transport_socket", errors), ProxyProtocol = proxyProtocol };
            }

            if (!socket.TypeUrl.EndsWith("raw_buffer.v3.RawBuffer", StringComparison.Ordinal))
            {
                errors.Add(resource, "transport_socket", $"transport socket {socket.TypeUrl} is not supported");
            }

            return config with { ProxyProtocol = proxyProtocol };
        }

        // Auto mTLS: istiod's "tlsMode-istio" match (endpoints labelled tlsMode: istio), plaintext for the others.
        UpstreamTlsConfig? autoMtls = null;
        for (var i = 0; i < cluster.TransportSocketMatches.Count; i++)
        {
            var match = cluster.TransportSocketMatches[i];
            var socket = Unwrap(match.TransportSocket, ref proxyProtocol);
            if (autoMtls is null && match.Match?.Fields.TryGetValue("tlsMode", out var mode) == true && mode.StringValue == "istio"
                && socket?.TypedConfig?.TryUnpack<UpstreamTlsContext>(out var tls) == true)
            {
                autoMtls = UpstreamTls(tls, resource, $"transport_socket_matches[{i}]", errors);
            }
        }

        return autoMtls is null
            ? config with { ProxyProtocol = proxyProtocol }
            : config with { AutoMtls = true, AutoMtlsSettings = autoMtls, ProxyProtocol = proxyProtocol };
    }

    /// <summary>
    /// Envoy's <c>upstream_proxy_protocol</c> socket wraps another (istiod's <c>applyUpstreamProxyProtocol</c> wraps
    /// the TLS socket, each transport socket match's, or raw_buffer): its version, and the socket inside (null:
    /// raw_buffer). Any other socket is returned as it is.
    /// </summary>
    private static TransportSocket? Unwrap(TransportSocket? socket, ref ProxyProtocolVersion? version)
    {
        if (socket?.TypedConfig?.TryUnpack<ProxyProtocolUpstreamTransport>(out var proxyProtocol) != true)
        {
            return socket;
        }

        version = proxyProtocol!.Config?.Version == ProxyProtocolConfig.Types.Version.V2 ? ProxyProtocolVersion.V2 : ProxyProtocolVersion.V1;
        return proxyProtocol.TransportSocket;
    }

    /// <summary>
    /// An <c>UpstreamTlsContext</c>: ISTIO_MUTUAL when its certificate is the workload's (SDS <c>default</c>), MUTUAL
    /// with a DestinationRule's files (istiod's <c>file-cert:CERT~KEY</c> and <c>file-root:CA</c> SDS names), else
    /// SIMPLE.
    /// </summary>
    private static UpstreamTlsConfig UpstreamTls(UpstreamTlsContext tls, string resource, string field, TranslationErrors errors)
    {
        var common = tls.CommonTlsContext;
        var certificate = common?.TlsCertificateSdsSecretConfigs.FirstOrDefault()?.Name;
        var validation = common?.ValidationContextTypeCase switch
        {
            CommonTlsContext.ValidationContextTypeOneofCase.CombinedValidationContext => common.CombinedValidationContext.DefaultValidationContext,
            CommonTlsContext.ValidationContextTypeOneofCase.ValidationContext => common.ValidationContext,
            _ => null,
        };
        var rootSecret = common?.ValidationContextTypeCase switch
        {
            CommonTlsContext.ValidationContextTypeOneofCase.CombinedValidationContext => common.CombinedValidationContext.ValidationContextSdsSecretConfig?.Name,
            CommonTlsContext.ValidationContextTypeOneofCase.ValidationContextSdsSecretConfig => common.ValidationContextSdsSecretConfig.Name,
            _ => null,
        };

        var sans = new List<string>();
        if (validation is not null)
        {
            foreach (var typed in validation.MatchTypedSubjectAltNames)
            {
                if (typed.Matcher is { MatchPatternCase: Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Exact } exact)
                {
                    sans.Add(exact.Exact);
                }
            }

            foreach (var matcher in validation.MatchSubjectAltNames)
            {
                if (matcher.MatchPatternCase == Envoy.Type.Matcher.V3.StringMatcher.MatchPatternOneofCase.Exact)
                {
                    sans.Add(matcher.Exact);
                }
            }
        }

        var mode = certificate switch
        {
            "default" => UpstreamTlsMode.IstioMutual,
            not null when certificate.StartsWith("file-cert:", StringComparison.Ordinal) => UpstreamTlsMode.Mutual,
            _ when common?.TlsCertificates.Count > 0 => UpstreamTlsMode.Mutual,
            _ => UpstreamTlsMode.Simple,
        };
        string? clientCertificate = null, privateKey = null;
        if (certificate?.StartsWith("file-cert:", StringComparison.Ordinal) == true)
        {
            var files = certificate["file-cert:".Length..].Split('~', 2);
            clientCertificate = files[0];
            privateKey = files.Length > 1 ? files[1] : null;
        }
        else if (common?.TlsCertificates.FirstOrDefault() is { } inline)
        {
            clientCertificate = inline.CertificateChain?.Filename;
            privateKey = inline.PrivateKey?.Filename;
            if (clientCertificate is null || privateKey is null)
            {
                errors.Add(resource, field + ".common_tls_context.tls_certificates", "only certificates given as file names are supported");
            }
        }

        // istiod's file-root SDS name is file-root:CA, or file-root:CA~CRL where it sends the CRL through SDS too.
        var fileRoot = rootSecret?.StartsWith("file-root:", StringComparison.Ordinal) == true ? rootSecret["file-root:".Length..].Split('~', 2) : null;
        var caPath = fileRoot?[0] ?? validation?.TrustedCa?.Filename;
        var crlPath = validation?.Crl?.Filename is { Length: > 0 } crl ? crl : fileRoot is [_, { Length: > 0 } sdsCrl] ? sdsCrl : null;
        return new UpstreamTlsConfig
        {
            Mode = mode,
            Sni = tls.Sni is { Length: > 0 } sni ? sni : null,
            SubjectAltNames = sans.ToEquatableArray(),
            Alpn = (common?.AlpnProtocols ?? []).ToEquatableArray(),
            CaCertificatesPath = mode == UpstreamTlsMode.IstioMutual ? null : caPath,
            CaCrlPath = mode == UpstreamTlsMode.IstioMutual || caPath is null ? null : crlPath,
            ClientCertificatePath = clientCertificate,
            PrivateKeyPath = privateKey,
            // No validation context at all: Envoy does not verify the server (Istio's insecureSkipVerify).
            InsecureSkipVerify = mode != UpstreamTlsMode.IstioMutual && validation is null && rootSecret is null,
        };
    }

    /// <summary>The service behind the cluster: istiod's <c>istio.services</c> metadata, else the cluster's Istio name.</summary>
    private static ServiceMetadata? Service(Cluster cluster)
    {
        ClusterName.TryParse(cluster.Name, out _, out var port, out var subset, out var nameHost);
        if (cluster.Metadata?.FilterMetadata.TryGetValue("istio", out var istio) == true
            && istio.Fields.TryGetValue("services", out var services) && services.ListValue?.Values.FirstOrDefault()?.StructValue is { } first)
        {
            string Field(string key) => first.Fields.TryGetValue(key, out var value) ? value.StringValue : "";
            var defaultPort = istio.Fields.TryGetValue("default_original_port", out var original) ? (int)original.NumberValue : port;
            return new ServiceMetadata(Field("host"), Field("name"), Field("namespace"), defaultPort, string.IsNullOrEmpty(subset) ? null : subset);
        }

        if (nameHost is null || port == 0)
        {
            return null;
        }

        var labels = nameHost.Split('.');
        return new ServiceMetadata(nameHost, labels[0], labels.Length > 1 ? labels[1] : "default", port, string.IsNullOrEmpty(subset) ? null : subset);
    }
}
