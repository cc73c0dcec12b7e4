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

        using var free = FreeAddresses(addresses.Values.ToHashSet(StringComparer.Ordinal)).GetEnumerator();
        foreach (var key in eligible.Where(k => !addresses.ContainsKey(k)))
        {
            // A /16 of them: past 65,024 entries the rest keep none, as istiod's allocator runs out too.
            if (!free.MoveNext())
            {
                break;
            }

            addresses[key] = free.Current;
        }

        return [.. services.Select(s => IsEligible(s) && addresses.TryGetValue((s.Namespace, s.Host), out var vip) ? s with { Vips = [vip] } : s)];
    }

    /// <summary>240.240.0.1 upwards, less the addresses istiod already gave and 240.240.x.0 and 240.240.x.255, which
    /// istiod skips too.</summary>
    private static IEnumerable<string> FreeAddresses(HashSet<string> taken)
    {
        for (var n = 1; n < 0xFFFF; n++)
        {
            var address = $"240.240.{n / 256}.{n % 256}";
            if (n % 256 is not (0 or 255) && !taken.Contains(address))
            {
                yield return address;
            }
        }
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
