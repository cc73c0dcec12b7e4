using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Istio.Translation.Security;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Clusters;

/// <summary>
/// Builds the outbound clusters of a service as istiod's cluster builder does: <c>outbound|port||host</c> per port,
/// plus <c>outbound|port|subset|host</c> per DestinationRule subset (endpoints filtered by the subset's labels),
/// each with the traffic policy that applies (load balancer, connection pool, outlier detection, TLS, PROXY protocol).
/// </summary>
internal sealed class OutboundClusterBuilder(PushContext push)
{
    private readonly bool _anyPeerAuthentication = push.Resources.Any(r => r.Kind == ResourceKind.PeerAuthentication);

    private static readonly string[] IstioAlpn = ["istio-peer-exchange", "istio"];
    private static readonly string[] IstioAlpnH2 = ["istio-peer-exchange", "istio", "h2"];

    public IEnumerable<ClusterConfig> Build(MeshService service)
    {
        var rule = push.DestinationRules.Find(service.Host, service.Namespace);
        foreach (var port in service.Ports)
        {
            if (port.Protocol == PortProtocol.Udp)
            {
                continue;
            }

            var policy = EffectiveTrafficPolicy.ForPort(rule?.TrafficPolicy, port.Number);
            if (BuildCluster(service, port, null, Labels.Empty, policy, rule) is { } parent)
            {
                yield return parent;
            }

            foreach (var subset in rule?.Subsets ?? [])
            {
                var subsetPolicy = policy.Merge(subset.TrafficPolicy, port.Number);
                if (BuildCluster(service, port, subset.Name, Labels.From(subset.Labels), subsetPolicy, rule) is { } cluster)
                {
                    yield return cluster;
                }
            }
        }
    }

    private ClusterConfig? BuildCluster(MeshService service, MeshServicePort port, string? subset, Labels subsetLabels, EffectiveTrafficPolicy policy, ConsolidatedDestinationRule? rule)
    {
        var name = ClusterName.Outbound(port.Number, subset, service.Host);
        var type = policy.LoadBalancer?.Simple == "PASSTHROUGH"
            ? ClusterDiscoveryType.OriginalDst
            : service.Resolution switch
            {
                ServiceResolution.Static => ClusterDiscoveryType.Static,
                ServiceResolution.Dns => ClusterDiscoveryType.StrictDns,
                ServiceResolution.DnsRoundRobin => ClusterDiscoveryType.LogicalDns,
                _ => ClusterDiscoveryType.OriginalDst,
            };
        var endpoints = type == ClusterDiscoveryType.OriginalDst ? [] : Endpoints(service, port, subsetLabels);
        if (endpoints.Count == 0 && type is ClusterDiscoveryType.StrictDns or ClusterDiscoveryType.LogicalDns)
        {
            // istiod leaves out DNS clusters without endpoints (e.g. a subset whose labels match none).
            push.Warn(service.Source, $"cluster {name} has no endpoints and is left out");
            return null;
        }

        var cluster = new ClusterConfig
        {
            Name = name,
            Type = type,
            Endpoints = endpoints.ToEquatableArray(),
            Service = new ServiceMetadata(service.Host, service.ShortName, service.Namespace, port.Number, subset, port.Protocol.IstioName()),
            DnsRefreshRate = push.Mesh.DnsRefreshRate.ToTimeSpan(),
            HttpProtocol = UpstreamProtocol(port.Protocol, policy.ConnectionPool),
            Origin = rule is null ? null : string.Join(", ", rule.Sources.Select(r => r.Id)),
            // Istio's applyUpstreamProxyProtocol: outbound clusters only, wrapping whatever transport socket they have.
            ProxyProtocol = policy.ProxyProtocol?.Version switch
            {
                null => null,
                "V2" => ProxyProtocolVersion.V2,
                _ => ProxyProtocolVersion.V1,
            },
        };
        cluster = ConnectionPoolMapping.Apply(cluster, policy.ConnectionPool, push.Mesh.TcpKeepalive, push.Mesh.ConnectTimeout.ToTimeSpan());
        cluster = ApplyRetryBudget(cluster, policy.RetryBudget);
        if (policy.ConnectionPool?.Http?.MaxConcurrentStreams is > 0 and var streams && port.Protocol.IsHttp2() && cluster.HttpProtocol == UpstreamHttpProtocol.Http2)
        {
            // applyConnectionPool sets it on the HTTP/2 options an HTTP2/gRPC port already has; an h2UpgradePolicy
            // upgrade comes after it with fresh options, and useClientProtocol replaces them, so neither carries it.
            cluster = cluster with { MaxConcurrentStreams = streams };
        }

        cluster = ApplyOutlierDetection(cluster, policy.OutlierDetection);
        cluster = ApplyLoadBalancer(cluster, policy.LoadBalancer);
        cluster = LocalityLoadBalancing.Apply(cluster, LocalityLoadBalancing.Effective(push.Mesh.LocalityLbSetting, policy.LoadBalancer?.LocalityLbSetting), push.Workload);
        return ApplyTls(cluster, service, port, subset, policy.Tls);
    }

    private List<EndpointConfig> Endpoints(MeshService service, MeshServicePort port, Labels subsetLabels)
    {
        var result = new List<EndpointConfig>();
        if (service.Endpoints.Count == 0 && service.Resolution is ServiceResolution.Dns or ServiceResolution.DnsRoundRobin)
        {
            // A DNS ServiceEntry without endpoints resolves its own host.
            if (subsetLabels.Count == 0)
            {
                result.Add(new EndpointConfig { Address = service.Host, Port = port.TargetPort ?? port.Number });
            }

            return result;
        }

        foreach (var endpoint in service.Endpoints)
        {
            if (!endpoint.Labels.IsSupersetOf(subsetLabels) || !endpoint.Serves(port))
            {
                continue;
            }

            result.Add(new EndpointConfig
            {
                Address = endpoint.Address,
                Port = endpoint.PortFor(port),
                Weight = endpoint.Weight,
                Labels = endpoint.Labels,
                Locality = endpoint.Locality,
                ServiceAccount = endpoint.ServiceAccount,
                WorkloadName = endpoint.WorkloadName,
                WorkloadNamespace = endpoint.Namespace,
                PeerAuthenticationDisablesMtls = DisablesMtls(endpoint, endpoint.PortFor(port)),
            });
        }

        return result;
    }

    /// <summary>Istio's <c>setUpstreamProtocol</c> and <c>shouldH2Upgrade</c>.</summary>
    private UpstreamHttpProtocol UpstreamProtocol(PortProtocol protocol, ConnectionPoolSettings? pool)
    {
        if (pool?.Http?.UseClientProtocol == true)
        {
            // applyConnectionPool's setUseDownstreamProtocol replaces even an HTTP/2 port's protocol options, and
            // shouldH2Upgrade does not upgrade a pool that asks for the client's protocol.
            return UpstreamHttpProtocol.UseDownstream;
        }

        if (protocol.IsHttp2())
        {
            return UpstreamHttpProtocol.Http2;
        }

        var upgrade = pool?.Http?.H2UpgradePolicy ?? "DEFAULT";
        if (upgrade == "UPGRADE" || (protocol.IsHttp() && upgrade == "DEFAULT" && push.Mesh.H2UpgradePolicy == "UPGRADE"))
        {
            return UpstreamHttpProtocol.Http2;
        }

        if (protocol.IsSniffed())
        {
            return UpstreamHttpProtocol.UseDownstream;
        }

        return protocol.IsHttp() ? UpstreamHttpProtocol.Http1 : UpstreamHttpProtocol.UseDownstream;
    }

    /// <summary>
    /// Istio's <c>applyRetryBudget</c>: unset fields take istiod's defaults, a minimum of 3 and a budget of 0.2 (its code
    /// says 20%; Envoy reads the value as a percentage, so 0.2%: what a mesh runs is what is reproduced here).
    /// </summary>
    private static ClusterConfig ApplyRetryBudget(ClusterConfig cluster, RetryBudgetSettings? budget) =>
        budget is null
            ? cluster
            : cluster with
            {
                CircuitBreakers = cluster.CircuitBreakers with
                {
                    RetryBudget = new RetryBudgetConfig(budget.Percent ?? 0.2, budget.MinRetryConcurrency > 0 ? budget.MinRetryConcurrency : 3),
                },
            };

    /// <summary>Istio's <c>applyOutlierDetection</c>; an unset <c>consecutive5xxErrors</c> leaves Envoy's default of 5 in force.</summary>
    private static ClusterConfig ApplyOutlierDetection(ClusterConfig cluster, OutlierDetection? outlier)
    {
        if (outlier is null)
        {
            return cluster;
        }

        var defaults = new OutlierDetectionConfig();
        var config = new OutlierDetectionConfig
        {
            Consecutive5xx = (int?)(outlier.Consecutive5xxErrors ?? 5),
            ConsecutiveGatewayErrors = (int?)outlier.ConsecutiveGatewayErrors,
            SplitExternalLocalOriginErrors = outlier.SplitExternalLocalOriginErrors,
            ConsecutiveLocalOriginFailures = outlier.SplitExternalLocalOriginErrors && outlier.ConsecutiveLocalOriginFailures is > 0 and var local ? (int)local : null,
            Interval = outlier.Interval?.ToTimeSpan() ?? defaults.Interval,
            BaseEjectionTime = outlier.BaseEjectionTime?.ToTimeSpan() ?? defaults.BaseEjectionTime,
            MaxEjectionPercent = outlier.MaxEjectionPercent is > 0 and var max ? max : defaults.MaxEjectionPercent,
        };

        // Istio disables Envoy's panic mode with outlier detection unless minHealthPercent says otherwise.
        return cluster with { OutlierDetection = config, HealthyPanicThresholdPercent = outlier.MinHealthPercent ?? 0 };
    }

    /// <summary>Istio's <c>applyLoadBalancer</c>.</summary>
    private static ClusterConfig ApplyLoadBalancer(ClusterConfig cluster, LoadBalancerSettings? lb)
    {
        if (cluster.Type == ClusterDiscoveryType.OriginalDst)
        {
            return cluster with { LbPolicy = LoadBalancerPolicy.ClusterProvided };
        }

        var policy = lb?.Simple switch
        {
            "RANDOM" => LoadBalancerPolicy.Random,
            "ROUND_ROBIN" => LoadBalancerPolicy.RoundRobin,
            _ => LoadBalancerPolicy.LeastRequest,
        };
        var ringSize = cluster.MinimumRingSize;
        if (lb?.ConsistentHash is { } hash)
        {
            if (hash.HasMaglev)
            {
                policy = LoadBalancerPolicy.Maglev;
            }
            else
            {
                policy = LoadBalancerPolicy.RingHash;
                var size = hash.HasRingHash ? hash.RingHashMinimumRingSize : hash.MinimumRingSize;
                ringSize = size is > 0 and <= int.MaxValue ? (int)size.Value : 1024;
            }
        }

        var warmup = lb?.WarmupDuration ?? lb?.WarmupDurationSecs;
        return cluster with
        {
            LbPolicy = policy,
            MinimumRingSize = ringSize,
            SlowStartWindow = warmup is { } w && policy is LoadBalancerPolicy.RoundRobin or LoadBalancerPolicy.LeastRequest ? w.ToTimeSpan() : null,
            // Istio's setWarmup: aggression 1 and a minimum of 10% where unset, as Envoy's own defaults.
            SlowStartAggression = lb?.WarmupDuration is not null ? lb.WarmupAggression ?? 1.0 : 1.0,
            SlowStartMinWeightPercent = lb?.WarmupDuration is not null ? lb.WarmupMinimumPercent ?? 10 : 10,
        };
    }

    /// <summary>ISTIO_MUTUAL toward a sidecar: Istio's SNI <c>outbound_.port_.subset_.host</c>, the service's SPIFFE SANs, Istio's ALPN.</summary>
    private static UpstreamTlsConfig IstioMutual(MeshService service, MeshServicePort port, string? subset, ClientTlsSettings? tls, bool h2) => new()
    {
        Mode = UpstreamTlsMode.IstioMutual,
        Sni = string.IsNullOrEmpty(tls?.Sni) ? $"outbound_.{port.Number}_.{subset}_.{service.Host}" : tls.Sni,
        SubjectAltNames = (tls?.SubjectAltNames is { Count: > 0 } sans ? sans : service.ServiceAccounts).ToEquatableArray(),
        Alpn = (h2 ? IstioAlpnH2 : IstioAlpn).ToEquatableArray(),
    };

    /// <summary>
    /// Istio's endpoint <c>mtlsChecker</c>: an mTLS-capable endpoint whose own workload's PeerAuthentication (by its
    /// namespace and labels, port-level settings on its target port) says DISABLE gets plaintext from auto mTLS.
    /// </summary>
    private bool DisablesMtls(ServiceEndpoint endpoint, int targetPort)
    {
        if (!_anyPeerAuthentication || !endpoint.Labels.TryGetValue(EndpointConfig.TlsModeLabel, out var mode) || mode != "istio")
        {
            return false;
        }

        var workload = new WorkloadInfo { Namespace = endpoint.Namespace, Labels = endpoint.Labels };
        return new PeerAuthenticationPolicy(push.Resources, workload, push.Mesh.RootNamespace).ModeFor(targetPort) == InboundMtlsMode.Disable;
    }

    /// <summary>Istio's <c>buildAutoMtlsSettings</c> and <c>buildUpstreamClusterTLSContext</c>.</summary>
    private ClusterConfig ApplyTls(ClusterConfig cluster, MeshService service, MeshServicePort port, string? subset, ClientTlsSettings? tls)
    {
        var h2 = cluster.HttpProtocol == UpstreamHttpProtocol.Http2;
        if (tls is null)
        {
            // Auto mTLS: endpoints labelled security.istio.io/tlsMode=istio get ISTIO_MUTUAL. Istio never applies it
            // to MESH_EXTERNAL services, and an ORIGINAL_DST cluster has no endpoint labels to decide by.
            var auto = push.Mesh.EnableAutoMtls && !service.MeshExternal && cluster.Type != ClusterDiscoveryType.OriginalDst;
            return cluster with { AutoMtls = auto, AutoMtlsSettings = auto ? IstioMutual(service, port, subset, null, h2) : null };
        }

        switch (tls.Mode)
        {
            case "ISTIO_MUTUAL":
                return cluster with { Tls = IstioMutual(service, port, subset, tls, h2) };
            case "SIMPLE" or "MUTUAL":
                if (!string.IsNullOrEmpty(tls.CredentialName))
                {
                    push.Error(service.Source, null,
                        $"DestinationRule tls.credentialName \"{tls.CredentialName}\" for {cluster.Name} names a Kubernetes secret, which the standalone source cannot read; give caCertificates/clientCertificate/privateKey file paths instead");
                    return cluster;
                }

                // istiod attaches the CRL to the validation context it builds for caCertificates (none without them,
                // or with insecureSkipVerify).
                var verifies = !string.IsNullOrEmpty(tls.CaCertificates) && tls.InsecureSkipVerify != true;
                if (!string.IsNullOrEmpty(tls.CaCrl) && !verifies)
                {
                    push.Warn(service.Source, $"tls.caCrl for {cluster.Name} is not applied: istiod attaches it only to a validation with caCertificates");
                }

                return cluster with
                {
                    Tls = new UpstreamTlsConfig
                    {
                        Mode = tls.Mode == "SIMPLE" ? UpstreamTlsMode.Simple : UpstreamTlsMode.Mutual,
                        Sni = string.IsNullOrEmpty(tls.Sni) ? null : tls.Sni,
                        SubjectAltNames = (tls.SubjectAltNames is { Count: > 0 } sans ? sans : service.ServiceAccounts).ToEquatableArray(),
                        Alpn = h2 ? ["h2"] : default,
                        CaCertificatesPath = string.IsNullOrEmpty(tls.CaCertificates) ? null : tls.CaCertificates,
                        CaCrlPath = verifies && !string.IsNullOrEmpty(tls.CaCrl) ? tls.CaCrl : null,
                        ClientCertificatePath = tls.Mode == "MUTUAL" ? tls.ClientCertificate : null,
                        PrivateKeyPath = tls.Mode == "MUTUAL" ? tls.PrivateKey : null,
                        InsecureSkipVerify = tls.InsecureSkipVerify ?? false,
                    },
                };
            default:
                // DISABLE: plaintext to every endpoint, auto mTLS off.
                return cluster;
        }
    }
}
