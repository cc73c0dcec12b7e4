using System.Globalization;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Clusters;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Istio.Translation.Routes;
using Sidecar.Istio.Translation.Security;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Listeners;

/// <summary>
/// Builds the inbound side (Istio's <c>buildSidecarInboundListeners</c>): for each port of the services this workload
/// serves (a ServiceEntry whose <c>workloadSelector</c> selects it, or an endpoint at one of its instance IPs) a chain
/// in <c>virtualInbound</c> toward <c>inbound|port||</c>; with a Sidecar <c>ingress</c>, its ports instead, forwarding to
/// <c>defaultEndpoint</c>, and when the ingress names a <c>bind</c> address also a listener the sidecar binds itself.
/// </summary>
internal sealed class InboundListenerBuilder(PushContext push)
{
    private readonly PeerAuthenticationPolicy _peerAuthentication = new(push.Resources, push.Workload, push.Mesh.RootNamespace);

    public List<FilterChainConfig> VirtualInboundChains { get; } = [];

    public List<ListenerConfig> BoundListeners { get; } = [];

    public List<ClusterConfig> Clusters { get; } = [];

    public List<RouteTableConfig> RouteTables { get; } = [];

    public void Build()
    {
        var instances = Instances();
        if (push.Scope.Ingress.Count > 0)
        {
            BuildFromIngress(instances);
            return;
        }

        foreach (var instance in instances)
        {
            var cluster = Cluster(instance.TargetPort, instance.Port.Protocol, instance, endpoint: null, push.Scope.Spec?.InboundConnectionPool);
            Clusters.Add(cluster);
            AddPort(instance.TargetPort, instance.Port.Number, instance.Port.Protocol, bound: null);
        }
    }

    /// <summary>
    /// Chains for ports no service declares (matched by no destination port). Under STRICT, Istio's passthrough
    /// chains require mTLS too: TLS with an Istio ALPN is terminated and passed through to the original destination,
    /// anything else is refused, so an undeclared port is no way around STRICT.
    /// </summary>
    public List<FilterChainConfig> PassthroughChains()
    {
        if (_peerAuthentication.WorkloadMode != InboundMtlsMode.Strict)
        {
            return [];
        }

        return
        [
            FilterChains.Tcp("InboundPassthroughFilterChain-mtls", ClusterName.InboundPassthrough, InboundTlsChains.PassthroughMatch) with
            {
                Tls = new DownstreamTlsConfig { PeerSanPrefixes = push.Mesh.PeerSanPrefixes, Alpn = InboundTlsChains.PassthroughAlpn },
            },
            FilterChains.NotFound("InboundPassthroughFilterChain-strict-refused", FilterChainMatchConfig.Any),
        ];
    }

    /// <summary>The (service, port) pairs this workload serves, one per target port (the first wins).</summary>
    private List<ServiceInstance> Instances()
    {
        var workload = push.Workload;
        var result = new List<ServiceInstance>();
        var targetPorts = new HashSet<int>();
        foreach (var service in push.AllServices)
        {
            var selected = service.WorkloadSelector is { } selector && service.Namespace == workload.Namespace && workload.Labels.IsSupersetOf(selector);
            foreach (var port in service.Ports)
            {
                if (port.Protocol == PortProtocol.Udp)
                {
                    continue;
                }

                // A named target port is the pod's to resolve: found through an endpoint at this workload's IP.
                if (selected && port.TargetPortName is null && targetPorts.Add(port.TargetPort ?? port.Number))
                {
                    result.Add(new ServiceInstance(service, port, port.TargetPort ?? port.Number));
                }

                foreach (var endpoint in service.Endpoints)
                {
                    if (workload.InstanceIps.AsSpan().Contains(endpoint.Address) && targetPorts.Add(endpoint.PortFor(port)))
                    {
                        result.Add(new ServiceInstance(service, port, endpoint.PortFor(port)));
                    }
                }
            }
        }

        return result;
    }

    private void BuildFromIngress(List<ServiceInstance> instances)
    {
        foreach (var ingress in push.Scope.Ingress)
        {
            var port = ingress.Port!;
            var protocol = PortProtocols.FromPort(port.Protocol, port.Name);
            var instance = instances.FirstOrDefault(i => i.TargetPort == port.Number);
            (string Address, int Port)? endpoint = null;
            if (ingress.DefaultEndpoint?.StartsWith(EndpointConfig.UnixAddressPrefix, StringComparison.Ordinal) == true)
            {
                // An application listening on a unix domain socket: Envoy's pipe address, which has no port.
                endpoint = (ingress.DefaultEndpoint, 0);
            }
            else if (!string.IsNullOrEmpty(ingress.DefaultEndpoint) && DefaultEndpoints.TrySplit(ingress.DefaultEndpoint, out var host, out var endpointPort))
            {
                var address = host is "127.0.0.1" or "::1" ? host : push.Workload.InstanceIps.IsEmpty ? "127.0.0.1" : push.Workload.InstanceIps[0];
                endpoint = (address, int.Parse(endpointPort, CultureInfo.InvariantCulture));
            }

            Clusters.Add(Cluster(port.Number, protocol, instance, endpoint, ingress.ConnectionPool ?? push.Scope.Spec?.InboundConnectionPool));
            // An ingress with a bind address (or with capture off) is a listener the sidecar opens itself; otherwise
            // its traffic arrives through virtualInbound like any captured port.
            var bind = !string.IsNullOrEmpty(ingress.Bind) ? ingress.Bind : ingress.CaptureMode == "NONE" ? "0.0.0.0" : null;
            AddPort(port.Number, instance?.Port.Number ?? port.Number, protocol, bound: bind);
        }
    }

    private ClusterConfig Cluster(int targetPort, PortProtocol protocol, ServiceInstance? instance, (string Address, int Port)? endpoint, ConnectionPoolSettings? pool)
    {
        var cluster = new ClusterConfig
        {
            Name = ClusterName.Inbound(targetPort),
            Type = endpoint is null ? ClusterDiscoveryType.OriginalDst : ClusterDiscoveryType.Static,
            LbPolicy = endpoint is null ? LoadBalancerPolicy.ClusterProvided : LoadBalancerPolicy.RoundRobin,
            Endpoints = endpoint is { } e ? [new EndpointConfig { Address = e.Address, Port = e.Port }] : default,
            HttpProtocol = protocol.IsHttp2() ? UpstreamHttpProtocol.Http2 : protocol.IsHttp() ? UpstreamHttpProtocol.Http1 : UpstreamHttpProtocol.UseDownstream,
            // Istio binds inbound connections to 127.0.0.6 (which its iptables rules let through) unless the
            // endpoint is loopback (or a unix domain socket, which has no source address).
            UpstreamBindAddress = endpoint is { Address: "127.0.0.1" or "::1" } || endpoint?.Address.StartsWith(EndpointConfig.UnixAddressPrefix, StringComparison.Ordinal) == true
                ? null
                : InternalClusters.InboundPassthroughBindAddress,
            Service = instance is null
                ? null
                : new ServiceMetadata(instance.Service.Host, instance.Service.ShortName, instance.Service.Namespace, instance.Port.Number, null, instance.Port.Protocol.IstioName()),
        };
        return ConnectionPoolMapping.Apply(cluster, pool, push.Mesh.TcpKeepalive, push.Mesh.ConnectTimeout.ToTimeSpan());
    }

    private void AddPort(int targetPort, int servicePort, PortProtocol protocol, string? bound)
    {
        var cluster = ClusterName.Inbound(targetPort);
        var table = cluster;
        var prefix = FilterChains.StatPrefix("inbound", bound ?? "0.0.0.0", targetPort);
        var chains = new List<FilterChainConfig>();
        var p = targetPort.ToString(CultureInfo.InvariantCulture);
        var mode = _peerAuthentication.ModeFor(targetPort);
        var tls = new DownstreamTlsConfig { PeerSanPrefixes = push.Mesh.PeerSanPrefixes };
        if (protocol.IsHttp() || protocol.IsSniffed())
        {
            RouteTables.Add(RouteTable(table, targetPort, servicePort, protocol));
            if (mode != InboundMtlsMode.Disable)
            {
                chains.Add(FilterChains.Http($"inbound|{p}|mtls-http", table, prefix, InboundTlsChains.HttpMatch, inbound: true, grpcWeb: protocol == PortProtocol.GrpcWeb) with
                {
                    Tls = tls with { Alpn = InboundTlsChains.HttpAlpn },
                });
            }

            if (mode != InboundMtlsMode.Strict)
            {
                chains.Add(FilterChains.Http($"inbound|{p}|http", table, prefix,
                    protocol.IsSniffed() ? FilterChains.SniffedHttp : FilterChainMatchConfig.Any, inbound: true, grpcWeb: protocol == PortProtocol.GrpcWeb));
            }
        }

        if (!protocol.IsHttp())
        {
            if (mode != InboundMtlsMode.Disable)
            {
                chains.Add(FilterChains.Tcp($"inbound|{p}|mtls-tcp", cluster, InboundTlsChains.TcpMatch) with
                {
                    Tls = tls with { Alpn = InboundTlsChains.TcpAlpn },
                });
            }

            if (mode != InboundMtlsMode.Strict)
            {
                var plaintext = FilterChains.Tcp($"inbound|{p}|tcp", cluster, FilterChainMatchConfig.Any);
                chains.AddRange(protocol.IsSniffed() ? FilterChains.ForSniffedPort([plaintext]) : [plaintext]);
            }
        }

        if (mode == InboundMtlsMode.Strict)
        {
            // STRICT: whatever is not Istio mTLS on this port finds no chain (rather than the listener's default chain).
            chains.Add(FilterChains.NotFound($"inbound|{p}|strict-refused", FilterChainMatchConfig.Any));
        }

        VirtualInboundChains.AddRange(chains.Select(c => c with { Match = c.Match with { DestinationPort = targetPort } }));
        if (bound is not null)
        {
            BoundListeners.Add(new ListenerConfig
            {
                Name = ListenerNames.ForAddress(bound, targetPort),
                Direction = TrafficDirection.Inbound,
                Address = bound,
                Port = targetPort,
                BindToPort = true,
                FilterChains = chains.ToEquatableArray(),
            });
        }
    }

    /// <summary>Istio's inbound route table: one virtual host <c>inbound|http|port</c> for any authority, routing <c>/</c>
    /// to the inbound cluster with no timeout, retrying resets before the request was sent (not for gRPC).</summary>
    private static RouteTableConfig RouteTable(string name, int targetPort, int servicePort, PortProtocol protocol) => new()
    {
        Name = name,
        VirtualHosts =
        [
            new VirtualHostConfig
            {
                Name = $"inbound|http|{servicePort.ToString(CultureInfo.InvariantCulture)}",
                Domains = ["*"],
                Routes =
                [
                    new RouteConfig
                    {
                        Name = OutboundRouteTableBuilder.DefaultRouteName,
                        Route = new RouteActionConfig
                        {
                            Clusters = [new WeightedClusterConfig { Cluster = ClusterName.Inbound(targetPort) }],
                            Retry = protocol.IsGrpc() ? null : RetryPolicies.Inbound,
                        },
                    },
                ],
            },
        ],
    };

    private sealed record ServiceInstance(MeshService Service, MeshServicePort Port, int TargetPort);
}
