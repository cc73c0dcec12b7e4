using System.Globalization;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Translation.Registry;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>
/// Istio's <c>generateVirtualHostDomains</c>: the FQDN, the short forms a client in the proxy's namespace may use
/// (<c>reviews</c>, <c>reviews.default</c>, <c>reviews.default.svc</c>; only <c>.default</c> forms from another
/// namespace), the absolute FQDN with its trailing dot, the hosts of ExternalName Services aliasing it (with their
/// short forms), and the VIPs, each also with <c>:port</c>.
/// </summary>
internal static class VirtualHostDomains
{
    public static List<string> ForService(MeshService service, int port, string proxyNamespace)
    {
        var domains = new List<string>();
        AddWithPort(domains, service.Host, port);
        if (!service.Host.StartsWith('*'))
        {
            // The absolute FQDN (PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN, on by default): a client may resolve "host.".
            AddWithPort(domains, service.Host + ".", port);
        }

        domains.AddRange(AltHosts(service.Host, port, proxyNamespace));
        foreach (var alias in service.Aliases)
        {
            AddWithPort(domains, alias, port);
            domains.AddRange(AltHosts(alias, port, proxyNamespace));
        }

        foreach (var vip in service.Vips)
        {
            AddWithPort(domains, vip.Contains(':', StringComparison.Ordinal) ? $"[{vip}]" : vip, port);
        }

        return domains;
    }

    public static List<string> ForHost(string host, int port)
    {
        var domains = new List<string>();
        AddWithPort(domains, host, port);
        return domains;
    }

    /// <summary>Istio's <c>generateAltVirtualHostsForKubernetesService</c>.</summary>
    private static IEnumerable<string> AltHosts(string host, int port, string proxyNamespace)
    {
        // Only Kubernetes-style hosts under the proxy's own DNS suffix are expanded.
        var svc = host.IndexOf(".svc.", StringComparison.Ordinal);
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        if (!host.EndsWith($".svc.{HostNames.DomainSuffix}", StringComparison.Ordinal) || svc <= 0 || dot + 1 >= host.Length || dot + 1 > svc)
        {
            return [];
        }

        var shortName = host[..dot];
        var withNamespace = host[..svc];
        var p = port.ToString(CultureInfo.InvariantCulture);
        if (host[(dot + 1)..svc] == proxyNamespace)
        {
            return [shortName, $"{shortName}:{p}", $"{withNamespace}.svc", $"{withNamespace}.svc:{p}", withNamespace, $"{withNamespace}:{p}"];
        }

        return [withNamespace, $"{withNamespace}:{p}", $"{withNamespace}.svc", $"{withNamespace}.svc:{p}"];
    }

    private static void AddWithPort(List<string> domains, string host, int port)
    {
        domains.Add(host);
        domains.Add($"{host}:{port.ToString(CultureInfo.InvariantCulture)}");
    }
}
