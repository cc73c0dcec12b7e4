using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>Reads a <c>Sidecar</c> spec strictly.</summary>
internal static class SidecarReader
{
    public static SidecarSpec Read(YamlObject spec)
    {
        var ingress = new List<IstioIngressListener>();
        foreach (var i in spec.ObjectList("ingress") ?? [])
        {
            ingress.Add(new IstioIngressListener
            {
                Port = Port(i.Object("port")),
                Bind = i.String("bind"),
                CaptureMode = i.Enum("captureMode", "DEFAULT", "IPTABLES", "NONE"),
                DefaultEndpoint = i.String("defaultEndpoint"),
                HasTls = i.Has("tls"),
                ConnectionPool = NetworkingReader.ConnectionPool(i.Object("connectionPool")),
            });
            i.RejectUnknownFields();
        }

        var egress = new List<IstioEgressListener>();
        foreach (var e in spec.ObjectList("egress") ?? [])
        {
            egress.Add(new IstioEgressListener
            {
                Port = Port(e.Object("port")),
                Bind = e.String("bind"),
                CaptureMode = e.Enum("captureMode", "DEFAULT", "IPTABLES", "NONE"),
                Hosts = e.StringList("hosts") ?? [],
            });
            e.RejectUnknownFields();
        }

        string? mode = null;
        var hasPolicy = false;
        EgressProxy? egressProxy = null;
        if (spec.Object("outboundTrafficPolicy") is { } policy)
        {
            hasPolicy = true;
            mode = policy.Enum("mode", "REGISTRY_ONLY", "ALLOW_ANY");
            if (policy.Object("egressProxy") is { } proxy)
            {
                var port = proxy.Object("port");
                egressProxy = new EgressProxy(proxy.String("host") ?? "", proxy.String("subset"), port?.Int32("number"));
                port?.RejectUnknownFields();
                proxy.RejectUnknownFields();
            }

            policy.RejectUnknownFields();
        }

        var result = new SidecarSpec
        {
            WorkloadSelector = NetworkingReader.WorkloadSelector(spec),
            Ingress = ingress,
            Egress = egress,
            OutboundTrafficPolicyMode = mode,
            HasOutboundTrafficPolicy = hasPolicy,
            EgressProxy = egressProxy,
            InboundConnectionPool = NetworkingReader.ConnectionPool(spec.Object("inboundConnectionPool")),
        };
        spec.RejectUnknownFields();
        return result;
    }

    private static SidecarPort? Port(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var port = new SidecarPort
        {
            Number = (int?)o.UInt32("number") ?? 0,
            Protocol = o.String("protocol"),
            Name = o.String("name"),
            TargetPort = (int?)o.UInt32("targetPort"),
        };
        o.RejectUnknownFields();
        return port;
    }
}
