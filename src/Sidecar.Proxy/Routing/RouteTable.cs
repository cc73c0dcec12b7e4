using System.Collections.Frozen;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A compiled route table: virtual hosts indexed by domain with Envoy's precedence (exact, then the longest suffix
/// wildcard <c>*.example.com</c>, then the longest prefix wildcard <c>example.*</c>, then <c>*</c>), case-insensitive.
/// </summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, VirtualHost> _exact;
    private readonly (string Suffix, VirtualHost Host)[] _suffixWildcards;
    private readonly (string Prefix, VirtualHost Host)[] _prefixWildcards;
    private readonly VirtualHost? _catchAll;

    public RouteTable(RouteTableConfig config, Func<string, ClusterState?> clusters)
    {
        Config = config;
        Name = config.Name;
        VirtualHosts = config.VirtualHosts.Select(v => new VirtualHost(v, clusters)).ToArray();

        var exact = new Dictionary<string, VirtualHost>(StringComparer.OrdinalIgnoreCase);
        var suffixes = new List<(string, VirtualHost)>();
        var prefixes = new List<(string, VirtualHost)>();
        foreach (var host in VirtualHosts)
        {
            foreach (var domain in host.Config.Domains)
            {
                if (domain == "*")
                {
                    _catchAll ??= host;
                }
                else if (domain.StartsWith('*'))
                {
                    suffixes.Add((domain[1..], host));
                }
                else if (domain.EndsWith('*'))
                {
                    prefixes.Add((domain[..^1], host));
                }
                else
                {
                    // Envoy refuses duplicate domains; the first virtual host keeps it here.
                    exact.TryAdd(domain, host);
                }
            }
        }

        _exact = exact.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _suffixWildcards = suffixes.OrderByDescending(s => s.Item1.Length).ToArray();
        _prefixWildcards = prefixes.OrderByDescending(p => p.Item1.Length).ToArray();
    }

    public RouteTableConfig Config { get; }

    public string Name { get; }

    public VirtualHost[] VirtualHosts { get; }

    /// <summary>The virtual host for a request authority (Host header, with port if the client sent one).</summary>
    public VirtualHost? Match(string authority) => FindDomain(authority) ?? _catchAll;

    /// <summary>
    /// The virtual host that names the authority's domain; null when only the catch-all (if any) would take it.
    /// The authority as sent is tried first, then without its port: Istio sets Envoy's
    /// <c>ignore_port_in_host_matching</c> on sidecar route tables, so <c>reviews:1234</c> still finds reviews.
    /// </summary>
    public VirtualHost? FindDomain(string authority)
    {
        if (FindDomainAsSent(authority) is { } host)
        {
            return host;
        }

        var colon = Http.AuthorityPort.SeparatorOf(authority);
        return colon > 0 ? FindDomainAsSent(authority[..colon]) : null;
    }

    private VirtualHost? FindDomainAsSent(string authority)
    {
        if (_exact.TryGetValue(authority, out var host))
        {
            return host;
        }

        foreach (var (suffix, candidate) in _suffixWildcards)
        {
            if (authority.Length > suffix.Length && authority.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        foreach (var (prefix, candidate) in _prefixWildcards)
        {
            if (authority.Length > prefix.Length && authority.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return null;
    }
}
