using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Sidecar.Model;

namespace Sidecar.Proxy.Dns;

/// <summary>What the table knows of one name: found or not, and the addresses to answer with.</summary>
internal readonly record struct DnsLookupResult(bool Found, string? CnameTarget, byte[][] Addresses)
{
    public static readonly DnsLookupResult NotFound = new(false, null, []);
}

/// <summary>
/// pilot-agent's lookup table (pkg/dns/client/dns.go, <c>LookupTable</c>), built from the name table for this proxy:
/// each host with a trailing dot; a Kubernetes service in this cluster's domain also as <c>name.namespace.</c>,
/// <c>name.namespace.svc.</c> and, from its own namespace, <c>name.</c>; and each of these with the first search
/// domain of resolv.conf appended (what a resolver tries first for a name with fewer dots than <c>ndots</c>) as a
/// CNAME to it. A query for a known name is answered here, even with no address of its type (NOERROR, no records);
/// any other name, or a type other than A and AAAA, goes to the upstream nameservers.
/// </summary>
internal sealed class DnsLookupTable
{
    /// <summary>pilot-agent's answer TTL (<c>defaultTTLInSeconds</c>).</summary>
    public const int TtlSeconds = 30;

    public static readonly DnsLookupTable Empty = Build([], "", []);

    // Queries are looked up by the span their name was decoded into: no string per query.
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _allHostsBySpan;
    private readonly FrozenDictionary<string, byte[][]>.AlternateLookup<ReadOnlySpan<char>> _ipv4BySpan;
    private readonly FrozenDictionary<string, byte[][]>.AlternateLookup<ReadOnlySpan<char>> _ipv6BySpan;
    private readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _cnamesBySpan;

    private DnsLookupTable(FrozenSet<string> allHosts, FrozenDictionary<string, byte[][]> ipv4, FrozenDictionary<string, byte[][]> ipv6, FrozenDictionary<string, string> cnames)
    {
        _allHostsBySpan = allHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _ipv4BySpan = ipv4.GetAlternateLookup<ReadOnlySpan<char>>();
        _ipv6BySpan = ipv6.GetAlternateLookup<ReadOnlySpan<char>>();
        _cnamesBySpan = cnames.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>How many names are answered (each form and expansion of each host).</summary>
    public int Count => _allHostsBySpan.Set.Count;

    /// <param name="nameTable">istiod's name table for this proxy.</param>
    /// <param name="proxyNamespace">The workload's namespace: its own services answer to their bare name.</param>
    /// <param name="searchDomains">resolv.conf's <c>search</c> list; only the first is used, as pilot-agent does.</param>
    /// <param name="clusterDomain">The proxy's cluster domain, without the namespace (<c>svc.cluster.local</c>).</param>
    public static DnsLookupTable Build(IEnumerable<NameInfoConfig> nameTable, string proxyNamespace, IReadOnlyList<string> searchDomains, string clusterDomain = "svc.cluster.local")
    {
        ArgumentNullException.ThrowIfNull(nameTable);
        ArgumentNullException.ThrowIfNull(searchDomains);
        var allHosts = new HashSet<string>(StringComparer.Ordinal);
        var ipv4 = new Dictionary<string, byte[][]>(StringComparer.Ordinal);
        var ipv6 = new Dictionary<string, byte[][]>(StringComparer.Ordinal);
        var cnames = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLabelOfDomain = clusterDomain.Split('.')[0];
        foreach (var info in nameTable)
        {
            var v4 = new List<byte[]>();
            var v6 = new List<byte[]>();
            foreach (var ip in info.Ips)
            {
                if (IPAddress.TryParse(ip, out var address))
                {
                    (address.AddressFamily == AddressFamily.InterNetwork ? v4 : v6).Add(address.GetAddressBytes());
                }
            }

            // An entry without a single valid address is malformed: not answered here at all.
            if (v4.Count == 0 && v6.Count == 0)
            {
                continue;
            }

            var altHosts = info.Registry == NameInfoConfig.KubernetesRegistry
                ? KubernetesNames(info, proxyNamespace, clusterDomain, firstLabelOfDomain)
                : [Absolute(info.Host)];
            foreach (var raw in altHosts)
            {
                var host = raw.ToLowerInvariant();
                allHosts.Add(host);
                if (v4.Count > 0)
                {
                    ipv4[host] = [.. v4];
                }

                if (v6.Count > 0)
                {
                    ipv6[host] = [.. v6];
                }

                if (searchDomains.Count > 0)
                {
                    // A resolver expands a short name with the search domains first; answer the first expansion as a
                    // CNAME to the real name instead of sending it upstream for an NXDOMAIN.
                    var expanded = (host + searchDomains[0]).ToLowerInvariant();
                    if (!expanded.EndsWith('.'))
                    {
                        expanded += ".";
                    }

                    if (!altHosts.Contains(expanded))
                    {
                        cnames[expanded] = host;
                        allHosts.Add(expanded);
                    }
                }
            }
        }

        return new DnsLookupTable(allHosts.ToFrozenSet(StringComparer.Ordinal), ipv4.ToFrozenDictionary(StringComparer.Ordinal), ipv6.ToFrozenDictionary(StringComparer.Ordinal), cnames.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The answer for <paramref name="name"/> (lower case, trailing dot), pilot-agent's <c>lookupHost</c>.</summary>
    public DnsLookupResult Lookup(ushort type, ReadOnlySpan<char> name)
    {
        Span<char> wildcard = stackalloc char[DnsQuery.MaxNameLength + 1];
        scoped ReadOnlySpan<char> key = name;
        if (!_allHostsBySpan.Contains(key))
        {
            if (FindWildcard(name, wildcard) is not (> 0 and var length))
            {
                return DnsLookupResult.NotFound;
            }

            key = wildcard[..length];
        }

        // Other types (PTR, SRV, MX, ...) are the upstream nameservers' to answer, even for a known name.
        if (type is not (DnsRecordType.A or DnsRecordType.Aaaa))
        {
            return DnsLookupResult.NotFound;
        }

        string? cname = null;
        if (_cnamesBySpan.TryGetValue(key, out var target))
        {
            cname = target;
            key = target;
        }

        // Without addresses of the asked type the name is still known: NOERROR with no records (and no CNAME).
        // The address records are owned by the CNAME's target when there is one, else by the question (a
        // wildcard's too: a.foo.com. is answered as a.foo.com., not *.foo.com.).
        return (type == DnsRecordType.A ? _ipv4BySpan : _ipv6BySpan).TryGetValue(key, out var addresses)
            ? new DnsLookupResult(true, cname, addresses)
            : new DnsLookupResult(true, null, []);
    }

    /// <summary>The most specific wildcard that covers <paramref name="name"/>, written into
    /// <paramref name="wildcard"/>: <c>*.b.foo.com.</c>, then <c>*.foo.com.</c>, then <c>*.com.</c> for
    /// <c>a.b.foo.com.</c>. Its length, or 0 when there is none.</summary>
    private int FindWildcard(ReadOnlySpan<char> name, Span<char> wildcard)
    {
        wildcard[0] = '*';
        var dot = name.IndexOf('.');
        while (dot >= 0 && dot < name.Length - 1)
        {
            var suffix = name[dot..];
            suffix.CopyTo(wildcard[1..]);
            if (_allHostsBySpan.Contains(wildcard[..(suffix.Length + 1)]))
            {
                return suffix.Length + 1;
            }

            var next = name[(dot + 1)..].IndexOf('.');
            dot = next < 0 ? -1 : dot + 1 + next;
        }

        return 0;
    }

    private static string Absolute(string host) => host.EndsWith('.') ? host : host + ".";

    /// <summary>pilot-agent's <c>generateAltHosts</c>: the host, and for a service of this cluster's domain its short forms.</summary>
    private static HashSet<string> KubernetesNames(NameInfoConfig info, string proxyNamespace, string clusterDomain, string firstLabelOfDomain)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { Absolute(info.Host) };
        // Services of another domain (another cluster) get no short forms: name.namespace could be either.
        if (!info.Host.EndsWith(clusterDomain, StringComparison.Ordinal) || info.ShortName is not { } shortName || info.Namespace is not { } ns)
        {
            return names;
        }

        names.Add($"{shortName}.{ns}.");
        if (ns == proxyNamespace)
        {
            names.Add(shortName + ".");
        }

        names.Add($"{shortName}.{ns}.{firstLabelOfDomain}.");
        foreach (var alt in info.AltHosts)
        {
            names.Add(Absolute(alt));
        }

        return names;
    }
}
