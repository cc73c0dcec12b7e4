using System.Text.RegularExpressions;

namespace Sidecar.Model;

/// <summary>
/// Structural checks every snapshot must pass before it is published, whatever its source: unique names, routes with
/// exactly one action, sane weights, percentages and statuses, regexes that compile under RE2-like rules.
/// A source translates its own resources first and reports errors in its own terms; this is the last gate.
/// </summary>
public static class ProxyConfigValidator
{
    /// <summary>Regex options that give RE2's guarantees (linear time, no backreferences or lookaround), as Envoy's safe_regex.</summary>
    public const RegexOptions Re2Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    public static IReadOnlyList<ConfigError> Validate(ProxyConfig config)
    {
        var errors = new List<ConfigError>();
        CheckUnique(config.Clusters.Select(c => c.Name), "cluster", errors);
        CheckUnique(config.RouteTables.Select(r => r.Name), "route table", errors);
        CheckUnique(config.Listeners.Select(l => l.Name), "listener", errors);

        foreach (var cluster in config.Clusters)
        {
            ValidateCluster(cluster, errors);
        }

        foreach (var table in config.RouteTables)
        {
            for (var v = 0; v < table.VirtualHosts.Count; v++)
            {
                var vhost = table.VirtualHosts[v];
                for (var r = 0; r < vhost.Routes.Count; r++)
                {
                    ValidateRoute(vhost.Routes[r], $"route table {table.Name}", $"virtual_hosts[{vhost.Name}].routes[{r}]", errors);
                }
            }
        }

        foreach (var listener in config.Listeners)
        {
            if (listener.Port is < 0 or > 65535)
            {
                errors.Add(new(null, $"listener {listener.Name}", "port", $"port {listener.Port} is out of range"));
            }

            foreach (var chain in listener.FilterChains)
            {
                if (chain.NotFound ? chain.Http is not null || chain.Tcp is not null : (chain.Http is null) == (chain.Tcp is null))
                {
                    errors.Add(new(null, $"listener {listener.Name}", $"filter_chains[{chain.Name}]", chain.NotFound
                        ? "a chain that stands for no chain has no HTTP connection manager or TCP proxy"
                        : "a filter chain needs exactly one of an HTTP connection manager or a TCP proxy"));
                }
            }
        }

        if (config.AuthorizationPolicies.Any(p => p.Action == AuthorizationAction.Custom) && config.ExtAuthz is null)
        {
            errors.Add(new(null, "authorization", "policies", "CUSTOM policies need an external authorization service (ext_authz)"));
        }

        return errors;
    }

    /// <summary>Translates the RE2 <paramref name="pattern"/> and compiles it; returns the error, or null when it compiles.</summary>
    public static string? CheckRegex(string pattern)
    {
        if (Re2Syntax.ToDotNet(pattern, out var translationError) is not { } translated)
        {
            return $"invalid regular expression '{pattern}': {translationError}";
        }

        try
        {
            _ = new Regex(translated, Re2Options);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"invalid regular expression '{pattern}': {ex.Message}";
        }
        catch (NotSupportedException ex)
        {
            return $"regular expression '{pattern}' uses a construct RE2 does not support: {ex.Message}";
        }
    }

    private static void ValidateCluster(ClusterConfig cluster, List<ConfigError> errors)
    {
        var resource = $"cluster {cluster.Name}";
        if (cluster.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add(new(null, resource, "connect_timeout", "must be positive"));
        }

        for (var i = 0; i < cluster.Endpoints.Count; i++)
        {
            var endpoint = cluster.Endpoints[i];
            if (endpoint.Port is < 0 or > 65535)
            {
                errors.Add(new(null, resource, $"endpoints[{i}].port", $"port {endpoint.Port} is out of range"));
            }

            if (string.IsNullOrWhiteSpace(endpoint.Address))
            {
                errors.Add(new(null, resource, $"endpoints[{i}].address", "is empty"));
            }

            if (endpoint.Weight <= 0)
            {
                errors.Add(new(null, resource, $"endpoints[{i}].weight", "must be positive"));
            }

            if (endpoint.Priority < 0)
            {
                errors.Add(new(null, resource, $"endpoints[{i}].priority", "must not be negative"));
            }

            if (endpoint.LocalityWeight is <= 0)
            {
                errors.Add(new(null, resource, $"endpoints[{i}].load_balancing_weight", "must be positive"));
            }
        }
    }

    private static void ValidateRoute(RouteConfig route, string resource, string field, List<ConfigError> errors)
    {
        var actions = (route.Route is null ? 0 : 1) + (route.Redirect is null ? 0 : 1) + (route.DirectResponse is null ? 0 : 1);
        if (actions != 1)
        {
            errors.Add(new(null, resource, field, "a route needs exactly one of route, redirect or direct_response"));
        }

        if (route.Match.Path.Kind == PathMatchKind.Regex && CheckRegex(route.Match.Path.Value) is { } pathError)
        {
            errors.Add(new(null, resource, $"{field}.match.safe_regex", pathError));
        }

        foreach (var header in route.Match.Headers)
        {
            if (header.Match is { Kind: StringMatchKind.Regex } m && CheckRegex(m.Value) is { } headerError)
            {
                errors.Add(new(null, resource, $"{field}.match.headers[{header.Name}]", headerError));
            }
        }

        foreach (var query in route.Match.QueryParameters)
        {
            if (query.Match is { Kind: StringMatchKind.Regex } m && CheckRegex(m.Value) is { } queryError)
            {
                errors.Add(new(null, resource, $"{field}.match.query_parameters[{query.Name}]", queryError));
            }
        }

        foreach (var origin in route.Cors?.AllowOrigins ?? default)
        {
            if (origin.Kind == StringMatchKind.Regex && CheckRegex(origin.Value) is { } originError)
            {
                errors.Add(new(null, resource, $"{field}.cors.allow_origin_string_match", originError));
            }
        }

        if (route.Route is { } action)
        {
            if (action.Clusters.IsEmpty)
            {
                errors.Add(new(null, resource, $"{field}.route", "has no cluster"));
            }
            else if (action.Clusters.Sum(c => (long)c.Weight) <= 0)
            {
                errors.Add(new(null, resource, $"{field}.route.weighted_clusters", "weights sum to zero"));
            }

            foreach (var cluster in action.Clusters)
            {
                if (cluster.Weight < 0)
                {
                    errors.Add(new(null, resource, $"{field}.route.weighted_clusters[{cluster.Cluster}].weight", "must not be negative"));
                }
            }

            if (action.RegexRewrite is { } rewrite && CheckRegex(rewrite.Pattern) is { } rewriteError)
            {
                errors.Add(new(null, resource, $"{field}.route.regex_rewrite", rewriteError));
            }

            if (action.Retry is { NumRetries: < 0 })
            {
                errors.Add(new(null, resource, $"{field}.route.retry_policy.num_retries", "must not be negative"));
            }
        }

        if (route.Fault?.Abort is { } abort)
        {
            if (abort.HttpStatus is { } status && (status < 200 || status > 599))
            {
                errors.Add(new(null, resource, $"{field}.fault.abort.http_status", $"{status} is not a valid HTTP status (200-599)"));
            }

            if (abort.HttpStatus is null && abort.GrpcStatus is null)
            {
                errors.Add(new(null, resource, $"{field}.fault.abort", "needs an HTTP or gRPC status"));
            }
        }

        if (route.Fault?.Delay is { FixedDelay: var delay } && delay < TimeSpan.Zero)
        {
            errors.Add(new(null, resource, $"{field}.fault.delay.fixed_delay", "must not be negative"));
        }

        if (route.DirectResponse is { Status: var directStatus } && (directStatus < 200 || directStatus > 599))
        {
            errors.Add(new(null, resource, $"{field}.direct_response.status", $"{directStatus} is not a valid HTTP status"));
        }

        if (route.Redirect is { ResponseCode: var code } && code is not (301 or 302 or 303 or 307 or 308))
        {
            errors.Add(new(null, resource, $"{field}.redirect.response_code", $"{code} is not a redirect status"));
        }
    }

    private static void CheckUnique(IEnumerable<string> names, string kind, List<ConfigError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!seen.Add(name))
            {
                errors.Add(new(null, $"{kind} {name}", "name", $"duplicate {kind} name"));
            }
        }
    }
}
