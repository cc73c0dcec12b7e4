using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Istio.Translation.Routes;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Listeners;

/// <summary>
/// Builds the outbound per-port listeners and their route tables (Istio's <c>buildSidecarOutboundListeners</c>):
/// HTTP ports share <c>0.0.0.0_port</c> with route table <c>"port"</c>; TCP, TLS and auto-detected ports get
/// <c>VIP_port</c> (or <c>0.0.0.0_port</c> without a VIP); a Sidecar egress listener with a port claims that port,
/// and with a <c>bind</c> address it is a listener the sidecar opens itself.
/// </summary>
internal sealed class OutboundListenerBuilder
{
    private const string Wildcard = "0.0.0.0";
    private readonly PushContext _push;
    private readonly OutboundRouteTableBuilder _routeTables;
    private readonly TcpChainBuilder _tcp;
    private readonly Dictionary<(string Address, int Port), ListenerDraft> _drafts = [];

    public OutboundListenerBuilder(PushContext push)
    {
        _push = push;
        _routeTables = new OutboundRouteTableBuilder(push);
        _tcp = new TcpChainBuilder(push);
    }

    public Dictionary<string, RouteTableConfig> RouteTables { get; } = new(StringComparer.Ordinal);

    public List<ListenerConfig> Build()
    {
        var explicitPorts = new HashSet<int>();
        foreach (var egress in _push.Scope.Egress)
        {
            if (egress.Port is { } port)
            {
                explicitPorts.Add(port.Number);
                BuildExplicit(egress, port);
            }
        }

        if (_push.Scope.Egress.LastOrDefault(e => e.Port is null) is { } catchAll)
        {
            BuildCatchAll(catchAll, explicitPorts);
        }

        return _drafts.Values
            .OrderBy(d => d.Port)
            .ThenBy(d => d.Address, StringComparer.Ordinal)
            .Select(Assemble)
            .ToList();
    }

    private void BuildCatchAll(EgressScope scope, HashSet<int> claimedPorts)
    {
        foreach (var service in scope.Services)
        {
            foreach (var port in service.Ports)
            {
                if (port.Protocol == PortProtocol.Udp || claimedPorts.Contains(port.Number))
                {
                    continue;
                }

                if (port.Protocol.IsHttp())
                {
                    var draft = Draft(Wildcard, port.Number, bind: false);
                    draft.HttpRouteTable ??= EnsureRouteTable(port.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), port.Number, scope);
                    draft.GrpcWeb |= port.Protocol == PortProtocol.GrpcWeb;
                    continue;
                }

                foreach (var (address, ranges) in Addresses(service))
                {
                    var draft = Draft(address, port.Number, bind: false);
                    if (port.Protocol.IsSniffed())
                    {
                        var tableName = address == Wildcard
                            ? port.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)
                            : OutboundRouteTableBuilder.VirtualHostName(service.Host, port.Number);
                        draft.HttpRouteTable ??= address == Wildcard
                            ? EnsureRouteTable(tableName, port.Number, scope)
                            : EnsureRouteTable(tableName, port.Number, scope, only: service);
                        draft.Sniffed = true;
                        AddTcp(draft, service, _tcp.TcpChains(service, port.Number, ranges, scope.VirtualServices));
                    }
                    else if (port.Protocol.IsTls())
                    {
                        draft.TlsChains.AddRange(_tcp.TlsChains(service, port.Number, address == Wildcard, ranges, scope.VirtualServices));
                    }
                    else
                    {
                        AddTcp(draft, service, _tcp.TcpChains(service, port.Number, ranges, scope.VirtualServices));
                    }
                }
            }
        }
    }

    private void BuildExplicit(EgressScope scope, SidecarPort port)
    {
        var listener = scope.Listener!;
        var protocol = PortProtocols.FromPort(port.Protocol, port.Name);
        var bind = !string.IsNullOrEmpty(listener.Bind);
        var address = bind ? listener.Bind! : listener.CaptureMode == "NONE" ? "127.0.0.1" : Wildcard;
        var draft = Draft(address, port.Number, bind || listener.CaptureMode == "NONE");
        var services = scope.Services.Where(s => s.FindPort(port.Number) is { Protocol: not PortProtocol.Udp }).ToArray();
        var name = port.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (protocol == PortProtocol.HttpProxy)
        {
            // The application uses this listener as its HTTP proxy: every service in the egress hosts, on any port.
            RouteTables[name] = _routeTables.BuildForAllPorts(name, scope.Services, scope.VirtualServices);
            draft.HttpRouteTable = name;
            return;
        }

        if (protocol.IsHttp() || protocol.IsSniffed())
        {
            draft.HttpRouteTable = EnsureRouteTable(name, port.Number, scope, replace: true);
            draft.Sniffed = protocol.IsSniffed();
        }

        if (protocol.IsTls())
        {
            foreach (var service in services)
            {
                draft.TlsChains.AddRange(_tcp.TlsChains(service, port.Number, wildcardListener: true, [], scope.VirtualServices));
            }
        }
        else if (!protocol.IsHttp())
        {
            if (services.Length == 0)
            {
                if (!protocol.IsSniffed())
                {
                    _push.Warn(_push.Scope.Sidecar, $"egress listener on port {port.Number} has no {protocol.IstioName()} service in its hosts and is left out");
                    _drafts.Remove((address, port.Number));
                }

                return;
            }

            if (services.Length > 1)
            {
                _push.Warn(_push.Scope.Sidecar, $"egress listener on port {port.Number} matches several TCP services; {services[0].Host} is used");
            }

            AddTcp(draft, services[0], _tcp.TcpChains(services[0], port.Number, [], scope.VirtualServices));
        }
    }

    private string EnsureRouteTable(string name, int port, EgressScope scope, MeshService? only = null, bool replace = false)
    {
        if (replace || !RouteTables.ContainsKey(name))
        {
            RouteTables[name] = only is null
                ? _routeTables.Build(name, port, scope.Services, scope.VirtualServices)
                : _routeTables.BuildForService(name, port, only, scope.VirtualServices);
        }

        return name;
    }

    /// <summary>The addresses a non-HTTP port listens on: each VIP, else 0.0.0.0 (with the CIDRs as prefix ranges).</summary>
    private static IEnumerable<(string Address, IReadOnlyList<string> Ranges)> Addresses(MeshService service)
    {
        if (service.Vips.Count == 0)
        {
            yield return (Wildcard, service.Cidrs);
            yield break;
        }

        foreach (var vip in service.Vips)
        {
            yield return (vip, []);
        }
    }

    private void AddTcp(ListenerDraft draft, MeshService service, List<FilterChainConfig> chains)
    {
        foreach (var chain in chains)
        {
            if (chain.Match.PrefixRanges.IsEmpty && draft.TcpChains.Any(c => c.Match.PrefixRanges.IsEmpty))
            {
                // Two TCP services on one address and port cannot be told apart; Istio keeps the first.
                _push.Warn(service.Source, $"TCP port {draft.Port} of {service.Host} conflicts with another service on listener {draft.Name}; ignored");
                return;
            }

            draft.TcpChains.Add(chain);
        }
    }

    private ListenerDraft Draft(string address, int port, bool bind)
    {
        if (!_drafts.TryGetValue((address, port), out var draft))
        {
            draft = new ListenerDraft(address, port, bind);
            _drafts[(address, port)] = draft;
        }

        return draft;
    }

    private ListenerConfig Assemble(ListenerDraft draft)
    {
        var chains = new List<FilterChainConfig>(draft.TlsChains);
        if (draft.HttpRouteTable is { } table)
        {
            var tcp = draft.TcpChains;
            if (!draft.Sniffed && tcp.Count > 0)
            {
                _push.Warn(null, $"listener {draft.Name}: an HTTP port and a TCP port share {draft.Address}:{draft.Port}; the HTTP service is used");
                tcp = [];
            }

            var match = draft.Sniffed || draft.TlsChains.Count > 0 ? FilterChains.SniffedHttp : FilterChainMatchConfig.Any;
            chains.Add(FilterChains.Http($"http:{table}", table, FilterChains.StatPrefix("outbound", draft.Address, draft.Port), match, grpcWeb: draft.GrpcWeb));
            chains.AddRange(match == FilterChains.SniffedHttp ? FilterChains.ForSniffedPort(tcp) : tcp);
        }
        else
        {
            chains.AddRange(draft.TcpChains);
        }

        return new ListenerConfig
        {
            Name = draft.Name,
            Direction = TrafficDirection.Outbound,
            Address = draft.Address,
            Port = draft.Port,
            BindToPort = draft.Bind,
            FilterChains = FilterChains.WithUniqueNames(chains).ToEquatableArray(),
            DefaultFilterChain = FilterChains.Tcp("PassthroughFilterChain", _push.CatchAllCluster, FilterChainMatchConfig.Any),
        };
    }

    private sealed class ListenerDraft(string address, int port, bool bind)
    {
        public string Address { get; } = address;

        public int Port { get; } = port;

        public bool Bind { get; } = bind;

        public string Name => ListenerNames.ForAddress(Address, Port);

        public string? HttpRouteTable { get; set; }

        public bool Sniffed { get; set; }

        /// <summary>A service's port here is <c>grpc-web</c>: the connection manager gets Envoy's <c>grpc_web</c> filter.</summary>
        public bool GrpcWeb { get; set; }

        public List<FilterChainConfig> TlsChains { get; } = [];

        public List<FilterChainConfig> TcpChains { get; } = [];
    }
}
