using System.Net;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Translation.Registry;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Dns;

/// <summary>
/// The DNS proxy's name table, as istiod's <c>BuildNameTable</c> (pkg/dns/server/name_table.go) builds it for a
/// sidecar: each service the proxy sees, with its VIPs; a service without a VIP whose endpoints are reached directly
/// (a headless Service, a ServiceEntry with <c>resolution: NONE</c>) with its endpoints' addresses; a service with
/// neither (a DNS ServiceEntry without <c>addresses</c>) is left to the pod's nameservers. A Kubernetes service also
/// carries its name and namespace, from which the agent derives the short forms it answers.
/// </summary>
internal static class NameTableBuilder
{
    private const string ClusterSetDomainSuffix = ".clusterset.local";

    public static IReadOnlyList<NameInfoConfig> Build(IEnumerable<MeshService> services)
    {
        var table = new Dictionary<string, NameInfoConfig>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var pod in PodNames(service))
            {
                // A pod with two addresses (dual stack) is one name with both.
                table[pod.Host] = table.TryGetValue(pod.Host, out var same) && same.Namespace == pod.Namespace
                    ? same with { Ips = same.Ips.Concat(pod.Ips.Where(ip => !same.Ips.Contains(ip))).ToEquatableArray() }
                    : pod;
            }

            var addresses = AddressesOf(service);
            if (addresses.Count == 0)
            {
                continue;
            }

            var kubernetes = service.Source.Kind == ResourceKind.Service;
            if (!table.TryGetValue(service.Host, out var existing))
            {
                table[service.Host] = New(service, addresses, kubernetes);
            }
            else if (existing.Registry != NameInfoConfig.KubernetesRegistry)
            {
                // A Kubernetes service takes the host from a ServiceEntry that decorates it; two ServiceEntries
                // for one host answer every address of both.
                table[service.Host] = kubernetes
                    ? New(service, addresses, kubernetes)
                    : existing with { Ips = existing.Ips.Concat(addresses.Where(a => !existing.Ips.Contains(a))).ToEquatableArray() };
            }
        }

        return [.. table.Values.OrderBy(n => n.Host, StringComparer.Ordinal)];
    }

    private static NameInfoConfig New(MeshService service, List<string> addresses, bool kubernetes)
    {
        // Kubernetes multi-cluster service hosts get no short forms, so they cannot shadow the cluster.local service's.
        var shortForms = kubernetes && !service.Host.EndsWith(ClusterSetDomainSuffix, StringComparison.Ordinal);
        return new NameInfoConfig
        {
            Host = service.Host,
            Ips = addresses.ToEquatableArray(),
            Registry = kubernetes ? NameInfoConfig.KubernetesRegistry : NameInfoConfig.ExternalRegistry,
            ShortName = shortForms ? service.ShortName : null,
            Namespace = shortForms ? service.Namespace : null,
        };
    }

    /// <summary>The VIPs (CIDR blocks are not answers, but a /32 or /128 is its address, as Istio's ServiceEntry
    /// conversion makes it), else, for a passthrough service without any address (headless: istiod's 0.0.0.0), its
    /// endpoints' addresses on its first port.</summary>
    private static List<string> AddressesOf(MeshService service)
    {
        var addresses = service.Vips.Where(IsIp).Concat(service.Cidrs.Select(SingleAddress).OfType<string>()).Distinct(StringComparer.Ordinal).ToList();
        if (addresses.Count > 0 || service.Cidrs.Count > 0 || service.Resolution != ServiceResolution.Passthrough || service.Ports.Count == 0)
        {
            return addresses;
        }

        var first = service.Ports[0];
        foreach (var endpoint in service.Endpoints)
        {
            if (endpoint.Serves(first) && IsIp(endpoint.Address) && !addresses.Contains(endpoint.Address))
            {
                addresses.Add(endpoint.Address);
            }
        }

        return addresses;
    }

    /// <summary>
    /// istiod's names for the pods of a headless Kubernetes service, as kube-dns gives them:
    /// <c>hostname.subdomain.namespace.svc.cluster.local</c> for each ready endpoint on the service's first port whose
    /// pod has a <c>spec.subdomain</c> (a StatefulSet's pods: <c>mysql-0.mysql.default.svc.cluster.local</c>).
    /// </summary>
    private static IEnumerable<NameInfoConfig> PodNames(MeshService service)
    {
        if (service.Source.Kind != ResourceKind.Service || service.Resolution != ServiceResolution.Passthrough || service.Vips.Count > 0 || service.Ports.Count == 0)
        {
            yield break;
        }

        var domain = service.Host[(service.Host.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var first = service.Ports[0];
        foreach (var endpoint in service.Endpoints)
        {
            if (endpoint is { HostName: { Length: > 0 } hostName, SubDomain: { Length: > 0 } subDomain } && endpoint.Serves(first) && IsIp(endpoint.Address))
            {
                var shortName = $"{hostName}.{subDomain}";
                yield return new NameInfoConfig
                {
                    Host = $"{shortName}.{domain}",
                    Ips = [endpoint.Address],
                    Registry = NameInfoConfig.KubernetesRegistry,
                    ShortName = shortName,
                    Namespace = service.Namespace,
                };
            }
        }
    }

    /// <summary>An address as Go's <c>ParseIP</c> reads one (not .NET's legacy <c>12345</c>).</summary>
    private static bool IsIp(string address) => HostNames.IsIpAddress(address);

    /// <summary>The address of a CIDR block of one address (<c>10.0.0.5/32</c>), else null.</summary>
    private static string? SingleAddress(string cidr) =>
        IPNetwork.TryParse(cidr, out var network) && network.PrefixLength == network.BaseAddress.GetAddressBytes().Length * 8
            ? network.BaseAddress.ToString()
            : null;
}
