using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Sidecar.Model;

namespace Sidecar.Xds.Translation;

/// <summary>
/// A <c>ClusterLoadAssignment</c> as the model's endpoints: address and port (or a pipe's path), weight, health, locality, priority and the
/// locality's weight, plus what istiod's endpoint metadata tells: <c>tlsMode</c> (auto mTLS) and the workload
/// (<c>istio.workload</c>: name;namespace;canonical service;canonical revision;cluster) for telemetry.
/// </summary>
internal static class EndpointTranslator
{
    public static EquatableArray<EndpointConfig> Translate(ClusterLoadAssignment assignment)
    {
        var result = new List<EndpointConfig>();
        foreach (var group in assignment.Endpoints)
        {
            var locality = group.Locality is { } l ? new LocalityParts(l.Region, l.Zone, l.SubZone).ToText() : null;
            foreach (var lb in group.LbEndpoints)
            {
                // A pipe is what istiod sends for a unix domain socket endpoint (a ServiceEntry's `unix://` address,
                // a Sidecar ingress's `defaultEndpoint`).
                var (address, port) = lb.Endpoint?.Address switch
                {
                    { SocketAddress: { } socket } => (socket.Address, (int)socket.PortValue),
                    { Pipe: { } pipe } => (EndpointConfig.UnixAddressPrefix + pipe.Path, 0),
                    _ => ((string?)null, 0),
                };
                if (address is null)
                {
                    // Internal (named) addresses: nothing istiod sends a sidecar.
                    continue;
                }

                var (workload, workloadNamespace, labels) = Workload(lb.Metadata);
                result.Add(new EndpointConfig
                {
                    Address = address,
                    Port = port,
                    Weight = (int)(lb.LoadBalancingWeight ?? 1),
                    Health = lb.HealthStatus switch
                    {
                        HealthStatus.Unhealthy or HealthStatus.Timeout => EndpointHealth.Unhealthy,
                        HealthStatus.Draining => EndpointHealth.Draining,
                        _ => EndpointHealth.Healthy,
                    },
                    Locality = locality,
                    Priority = (int)group.Priority,
                    LocalityWeight = group.LoadBalancingWeight is { } weight ? (int)weight : null,
                    Labels = labels,
                    WorkloadName = workload,
                    WorkloadNamespace = workloadNamespace,
                });
            }
        }

        return result.ToEquatableArray();
    }

    private static (string? Name, string? Namespace, Labels Labels) Workload(Metadata? metadata)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (XdsValues.MetadataString(metadata, "envoy.transport_socket_match", "tlsMode") is { } tlsMode)
        {
            pairs.Add(new(EndpointConfig.TlsModeLabel, tlsMode));
        }

        string? name = null, ns = null;
        if (XdsValues.MetadataString(metadata, "istio", "workload") is { } workload)
        {
            var parts = workload.Split(';');
            name = parts[0].Length > 0 ? parts[0] : null;
            ns = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null;
            if (parts.Length > 2 && parts[2].Length > 0)
            {
                pairs.Add(new("service.istio.io/canonical-name", parts[2]));
            }

            if (parts.Length > 3 && parts[3].Length > 0)
            {
                pairs.Add(new("service.istio.io/canonical-revision", parts[3]));
            }
        }

        return (name, ns, pairs.Count == 0 ? Labels.Empty : Labels.From(pairs));
    }
}
