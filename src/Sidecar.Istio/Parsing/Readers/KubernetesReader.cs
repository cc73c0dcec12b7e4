using Sidecar.Istio.Resources.Kubernetes;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>
/// Reads the Kubernetes objects istiod's service registry watches (Service, EndpointSlice, Endpoints, Pod). Unlike
/// Istio's own kinds these are read leniently: Kubernetes objects carry many fields the registry has no use for
/// (and <c>kubectl get -o yaml</c> adds more), so unknown fields are passed over; the fields read are still
/// type-checked and named in errors.
/// </summary>
internal static class KubernetesReader
{
    public static KubernetesServiceSpec ReadService(YamlObject document)
    {
        var spec = document.Object("spec") ?? Empty(document, "spec");
        var clusterIps = new List<string>();
        if (spec.String("clusterIP") is { Length: > 0 } clusterIp)
        {
            clusterIps.Add(clusterIp);
        }

        foreach (var ip in spec.StringList("clusterIPs") ?? [])
        {
            if (!clusterIps.Contains(ip, StringComparer.Ordinal))
            {
                clusterIps.Add(ip);
            }
        }

        var ports = new List<KubernetesServicePort>();
        foreach (var p in spec.ObjectList("ports") ?? [])
        {
            var number = (int?)p.Integer("port", 1, 65535);
            if (number is null)
            {
                if (!p.Has("port"))
                {
                    p.Error("port", "is required");
                }

                continue;
            }

            ports.Add(new KubernetesServicePort(
                p.String("name") ?? "",
                number.Value,
                p.String("protocol") is { Length: > 0 } protocol ? protocol : "TCP",
                p.String("appProtocol"),
                p.String("targetPort")));
        }

        return new KubernetesServiceSpec
        {
            Type = spec.String("type") is { Length: > 0 } type ? type : "ClusterIP",
            ClusterIps = clusterIps,
            Selector = spec.StringDictionary("selector"),
            Ports = ports,
            ExternalName = spec.String("externalName"),
            PublishNotReadyAddresses = spec.Bool("publishNotReadyAddresses") ?? false,
        };
    }

    public static EndpointSliceSpec ReadEndpointSlice(YamlObject document)
    {
        var endpoints = new List<SliceEndpoint>();
        foreach (var e in document.ObjectList("endpoints") ?? [])
        {
            var target = TargetPod(e);
            endpoints.Add(new SliceEndpoint(e.StringList("addresses") ?? [], e.Object("conditions")?.Bool("ready"), target.Name, target.Namespace, e.String("hostname")));
        }

        return new EndpointSliceSpec
        {
            AddressType = document.String("addressType") ?? "IPv4",
            Endpoints = endpoints,
            Ports = Ports(document),
        };
    }

    public static EndpointsSpec ReadEndpoints(YamlObject document)
    {
        var subsets = new List<EndpointSubset>();
        foreach (var subset in document.ObjectList("subsets") ?? [])
        {
            var addresses = new List<SliceEndpoint>();
            foreach (var (key, ready) in new[] { ("addresses", true), ("notReadyAddresses", false) })
            {
                foreach (var a in subset.ObjectList(key) ?? [])
                {
                    var target = TargetPod(a);
                    addresses.Add(new SliceEndpoint(a.String("ip") is { Length: > 0 } ip ? [ip] : [], ready, target.Name, target.Namespace, a.String("hostname")));
                }
            }

            subsets.Add(new EndpointSubset(addresses, Ports(subset)));
        }

        return new EndpointsSpec { Subsets = subsets };
    }

    public static PodSpec ReadPod(YamlObject document)
    {
        var spec = document.Object("spec") ?? Empty(document, "spec");
        var containerPorts = new List<EndpointPort>();
        foreach (var container in spec.ObjectList("containers") ?? [])
        {
            foreach (var port in container.ObjectList("ports") ?? [])
            {
                if ((int?)port.Integer("containerPort", 1, 65535) is { } number)
                {
                    containerPorts.Add(new EndpointPort(port.String("name") ?? "", number, port.String("protocol") ?? "TCP"));
                }
            }
        }

        var status = document.Object("status");
        var ips = new List<string>();
        if (status?.String("podIP") is { Length: > 0 } podIp)
        {
            ips.Add(podIp);
        }

        foreach (var entry in status?.ObjectList("podIPs") ?? [])
        {
            if (entry.String("ip") is { Length: > 0 } ip && !ips.Contains(ip, StringComparer.Ordinal))
            {
                ips.Add(ip);
            }
        }

        return new PodSpec
        {
            ServiceAccountName = spec.String("serviceAccountName") is { Length: > 0 } sa ? sa
                : spec.String("serviceAccount") is { Length: > 0 } legacy ? legacy : "default",
            ContainerPorts = containerPorts,
            Ips = ips,
            Ready = status is not null && IsReady(status),
            WorkloadName = WorkloadName(document),
            Hostname = spec.String("hostname") is { Length: > 0 } hostname ? hostname : null,
            Subdomain = spec.String("subdomain") is { Length: > 0 } subdomain ? subdomain : null,
        };
    }

    // Istio's workload name of a pod: its controller's name, a ReplicaSet's Deployment (the ReplicaSet's name less its
    // pod-template-hash suffix) and a Job's CronJob likewise; null without an owner.
    private static string? WorkloadName(YamlObject document)
    {
        var metadata = document.Object("metadata");
        var owner = metadata?.ObjectList("ownerReferences")?.FirstOrDefault(o => o.Bool("controller") == true)
            ?? metadata?.ObjectList("ownerReferences")?.FirstOrDefault();
        if (owner?.String("name") is not { Length: > 0 } name)
        {
            return null;
        }

        var kind = owner.String("kind");
        var dash = name.LastIndexOf('-');
        if (kind == "ReplicaSet" && metadata!.StringDictionary("labels") is { } labels && labels.TryGetValue("pod-template-hash", out var hash)
            && name.EndsWith("-" + hash, StringComparison.Ordinal))
        {
            return name[..^(hash.Length + 1)];
        }

        return kind == "Job" && dash > 0 && name.AsSpan(dash + 1).IndexOfAnyExceptInRange('0', '9') < 0 ? name[..dash] : name;
    }

    // The endpoints controller's rule: a running pod whose Ready condition is true (a status without conditions,
    // as hand-written objects have, counts as ready once it has an IP and is not finished).
    private static bool IsReady(YamlObject status)
    {
        if (status.String("phase") is "Succeeded" or "Failed" or "Pending")
        {
            return false;
        }

        var conditions = status.ObjectList("conditions");
        if (conditions is null)
        {
            return true;
        }

        foreach (var condition in conditions)
        {
            if (condition.String("type") == "Ready")
            {
                return condition.String("status") == "True";
            }
        }

        return false;
    }

    private static List<EndpointPort> Ports(YamlObject o)
    {
        var ports = new List<EndpointPort>();
        foreach (var p in o.ObjectList("ports") ?? [])
        {
            if ((int?)p.Integer("port", 1, 65535) is { } number)
            {
                ports.Add(new EndpointPort(p.String("name") ?? "", number, p.String("protocol") ?? "TCP"));
            }
        }

        return ports;
    }

    private static (string? Name, string? Namespace) TargetPod(YamlObject address)
    {
        var target = address.Object("targetRef");
        return target is not null && (target.String("kind") ?? "Pod") == "Pod"
            ? (target.String("name"), target.String("namespace"))
            : (null, null);
    }

    private static YamlObject Empty(YamlObject document, string key) =>
        new(new YamlDotNet.RepresentationModel.YamlMappingNode(), document.FieldPath(key), document.Diagnostics);
}
