using System.Net;
using System.Net.Sockets;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Translation.Registry;

/// <summary>
/// Istio's address auto-allocation for a proxy that captures DNS and asks for it (<c>ISTIO_META_DNS_CAPTURE</c> and
/// <c>ISTIO_META_DNS_AUTO_ALLOCATE</c>): each host of a ServiceEntry without <c>addresses</c> gets a VIP from
/// 240.240.0.0/16, as istiod's allocator gives one, so the DNS proxy can answer the name and a TCP port of it gets a
/// listener of its own (<c>240.240.0.1_9000</c>) instead of sharing <c>0.0.0.0_9000</c> with every other such entry.
/// Not for a wildcard host or <c>resolution: NONE</c> (the original destination would be lost), nor for an entry
/// annotated <c>networking.istio.io/enable-autoallocate-ip: "false"</c>. An address istiod wrote into the entry's
/// <c>status.addresses</c> is kept; the others are given in the order of namespace and host, so the same config
/// always gives the same addresses.
/// </summary>
internal static class AddressAllocator
{
    public const string OptOutAnnotation = "networking.istio.io/enable-autoallocate-ip";

    public static IReadOnlyList<MeshService> Allocate(IReadOnlyList<MeshService> services)
    {
        var eligible = services.Where(IsEligible)
            .Select(s => (s.Namespace, s.Host)).Distinct()
            .OrderBy(k => k.Namespace, StringComparer.Ordinal).ThenBy(k => k.Host, StringComparer.Ordinal)
            .ToArray();
        if (eligible.Length == 0)
        {
            return services;
        }

        // What istiod already allocated (the entry's status) is kept; the rest get the lowest addresses left.
        var addresses = new Dictionary<(string, string), string>();
        foreach (var service in services.Where(IsEligible))
        {
            if (StatusAddress(service) is { } allocated)
            {
                addresses.TryAdd((service.Namespace, service.Host), allocated);
            }
        }

        var taken = addresses.Values.ToHashSet(StringComparer.Ordinal);
        var next = 1;
        foreach (var key in eligible.Where(k => !addresses.ContainsKey(k)))
        {
            string address;
            do
            {
                // 240.240.x.0 and 240.240.x.255 are skipped, as istiod skips them.
                while (next % 256 is 0 or 255)
                {
                    next++;
                }

                address = $"240.240.{next / 256}.{next % 256}";
                next++;
            }
            while (taken.Contains(address) && next <= 0xFFFE);

            if (next > 0xFFFF)
            {
                break;
            }

            addresses[key] = address;
        }

        return [.. services.Select(s => IsEligible(s) && addresses.TryGetValue((s.Namespace, s.Host), out var vip) ? s with { Vips = [vip] } : s)];
    }

    /// <summary>The IPv4 address the entry's <c>status.addresses</c> gives its host, if any.</summary>
    private static string? StatusAddress(MeshService service) =>
        service.Source.Spec is ServiceEntrySpec spec
            ? spec.AllocatedAddresses.FirstOrDefault(a => string.Equals(a.Key, service.Host, StringComparison.OrdinalIgnoreCase) && IPAddress.TryParse(a.Value, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork).Value
            : null;

    private static bool IsEligible(MeshService service) =>
        service.Source.Kind == ResourceKind.ServiceEntry
        && service.Vips.Count == 0 && service.Cidrs.Count == 0
        && !service.Host.StartsWith('*')
        && service.Resolution != ServiceResolution.Passthrough
        && !(service.Source.Metadata.Annotations.TryGetValue(OptOutAnnotation, out var value) && value == "false");
}
