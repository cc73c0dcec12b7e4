using System.Globalization;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.GatewayApi;
using Sidecar.Istio.Resources.Kubernetes;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Translation.GatewayApi;

/// <summary>
/// istiod's conversion of Gateway API <c>HTTPRoute</c>s attached to a Service or ServiceEntry (GAMMA mesh routing)
/// into the VirtualServices sidecars use: one per route namespace, parent port and service host, the routes of every
/// HTTPRoute for it merged and ordered by Gateway API precedence, with gateway semantics (path-separated prefixes, 500
/// for a missing backend). A producer route (in the service's namespace) applies to every client; a consumer route
/// only to clients in its own namespace.
/// </summary>
/// <remarks>
/// A rule istiod could not convert (an unsupported filter, a backend without a port, a Service backend named with a
/// dot) leaves its whole HTTPRoute unapplied, as istiod reports it in the route's status; here it is a warning naming
/// the field. A missing backend keeps its place and answers 500.
/// </remarks>
internal static class HttpRouteConverter
{
    private const string DefaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled";

    public static List<IstioResource> Convert(IReadOnlyList<IstioResource> resources, Action<IstioResource, string> warn)
    {
        var services = resources.Where(r => r.Spec is KubernetesServiceSpec).Select(r => (r.Namespace, r.Name)).ToHashSet();
        var serviceEntries = resources.Where(r => r.Spec is ServiceEntrySpec).ToDictionary(r => (r.Namespace, r.Name), r => (ServiceEntrySpec)r.Spec);
        var merged = new Dictionary<string, Merged>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            if (resource.Spec is not HttpRouteSpec route)
            {
                continue;
            }

            var parents = route.ParentRefs.Where(p => p.IsService || p.IsServiceEntry).ToArray();
            if (parents.Length == 0)
            {
                continue;
            }

            List<HttpRoute> http;
            try
            {
                http = ConvertRules(resource, route, services, warn);
            }
            catch (UnconvertibleRouteException ex)
            {
                warn(resource, $"{ex.Field}: {ex.Message}; the route is not applied");
                continue;
            }

            for (var i = 0; i < parents.Length; i++)
            {
                var parent = parents[i];
                var parentNamespace = parent.Namespace ?? resource.Namespace;
                IReadOnlyList<string> hosts;
                if (parent.IsService)
                {
                    if (!services.Contains((parentNamespace, parent.Name)))
                    {
                        warn(resource, $"spec.parentRefs[{i}]: parent service \"{parentNamespace}/{parent.Name}\" not found; not attached to it");
                        continue;
                    }

                    hosts = [HostNames.ServiceHost(parent.Name, parentNamespace)];
                }
                else if (serviceEntries.TryGetValue((parentNamespace, parent.Name), out var entry))
                {
                    hosts = entry.Hosts;
                }
                else
                {
                    warn(resource, $"spec.parentRefs[{i}]: parent service entry \"{parentNamespace}/{parent.Name}\" not found; not attached to it");
                    continue;
                }

                var parentHttp = parent.Port is { } port ? http.Select(h => WithPort(h, port)).ToList() : http;
                foreach (var host in hosts)
                {
                    var key = parent.Port is { } p ? $"{resource.Namespace}/{p}/{host}" : $"{resource.Namespace}/{host}";
                    if (!merged.TryGetValue(key, out var entryForHost))
                    {
                        merged[key] = entryForHost = new Merged(key, host, resource, producer: parentNamespace == resource.Namespace);
                    }

                    entryForHost.Add(resource, parentHttp);
                }
            }
        }

        return merged.Values.Select(m => m.ToVirtualService()).ToList();
    }

    private static HttpRoute WithPort(HttpRoute http, int port) =>
        http with { Match = http.Match.Count == 0 ? [new HttpMatchRequest { Port = port }] : http.Match.Select(m => m with { Port = port }).ToArray() };

    private static List<HttpRoute> ConvertRules(IstioResource resource, HttpRouteSpec route, HashSet<(string, string)> services, Action<IstioResource, string> warn)
    {
        var result = new List<HttpRoute>();
        for (var r = 0; r < route.Rules.Count; r++)
        {
            var rule = route.Rules[r];
            var path = $"spec.rules[{r}]";
            var http = new HttpRoute { Name = rule.Name ?? $"{resource.Namespace}.{resource.Name}.{r}" };
            HeaderOperations? request = null, response = null;
            var mirrors = new List<HttpMirrorPolicy>();
            for (var f = 0; f < rule.Filters.Count; f++)
            {
                var filter = rule.Filters[f];
                var filterPath = $"{path}.filters[{f}]";
                if (TryHeaderModifier(filter, ref request, ref response))
                {
                    continue;
                }

                switch (filter.Type)
                {
                    case "RequestRedirect" when filter.RequestRedirect is { } redirect:
                        http = http with { Redirect = Redirect(redirect, filterPath) };
                        break;
                    case "URLRewrite" when filter.UrlRewrite is { } rewrite:
                        if (Rewrite(rewrite) is { } converted)
                        {
                            http = http with { Rewrite = converted };
                        }

                        break;
                    case "RequestMirror" when filter.RequestMirror is { } mirror:
                        try
                        {
                            mirrors.Add(new HttpMirrorPolicy { Destination = Destination(mirror.BackendRef, resource, services, warn, $"{filterPath}.requestMirror.backendRef"), Percentage = mirror.Percent });
                        }
                        catch (UnconvertibleRouteException ex)
                        {
                            // istiod drops a mirror it cannot build and keeps the route.
                            warn(resource, $"{ex.Field}: {ex.Message}; the mirror is not applied");
                        }

                        break;
                    case "CORS" when filter.Cors is { } cors:
                        http = http with { CorsPolicy = cors };
                        break;
                    default:
                        throw new UnconvertibleRouteException($"{filterPath}.type", $"unsupported filter type \"{filter.Type}\"");
                }
            }

            if (request is not null || response is not null)
            {
                http = http with { Headers = new Headers { Request = request, Response = response } };
            }

            http = http with { Mirrors = mirrors };
            var destinations = new List<HttpRouteDestination>();
            for (var b = 0; b < rule.BackendRefs.Count; b++)
            {
                var backend = rule.BackendRefs[b];
                var backendPath = $"{path}.backendRefs[{b}]";
                var destination = Destination(backend.Backend, resource, services, warn, backendPath);
                HeaderOperations? backendRequest = null, backendResponse = null;
                for (var f = 0; f < backend.Filters.Count; f++)
                {
                    // A backend takes header modifiers only.
                    var filter = backend.Filters[f];
                    if (!TryHeaderModifier(filter, ref backendRequest, ref backendResponse))
                    {
                        throw new UnconvertibleRouteException($"{backendPath}.filters[{f}].type", $"unsupported backend filter type \"{filter.Type}\"");
                    }
                }

                if (backend.Weight > 0)
                {
                    destinations.Add(new HttpRouteDestination
                    {
                        Destination = destination,
                        Weight = backend.Weight,
                        Headers = backendRequest is null && backendResponse is null ? null : new Headers { Request = backendRequest, Response = backendResponse },
                    });
                }
            }

            if (http.Redirect is null)
            {
                http = destinations.Count == 0
                    ? http with { DirectResponse = new HttpDirectResponse { Status = 500 } }
                    : http with { Route = destinations };
            }

            http = http with { Timeout = rule.RequestTimeout is { Nanoseconds: > 0 } requestTimeout ? requestTimeout : null };
            if (rule.Retry is { } retry)
            {
                var retryOn = string.Join(',', [DefaultRetryOn, .. retry.Codes.Select(c => c.ToString(CultureInfo.InvariantCulture))]);
                var attempts = retry.Attempts ?? 2;
                http = http with
                {
                    Retries = new HttpRetry
                    {
                        Attempts = attempts,
                        RetryOn = attempts == 0 ? "" : retryOn,
                        Backoff = retry.Backoff,
                        PerTryTimeout = rule.BackendRequestTimeout is { Nanoseconds: > 0 } perTry ? perTry : null,
                    },
                };
            }
            else if (rule.BackendRequestTimeout is { Nanoseconds: > 0 } backendTimeout)
            {
                // Without a retry, istiod makes the backend timeout the route's (over timeouts.request).
                http = http with { Timeout = backendTimeout };
            }

            // The API server's defaults: a rule without matches matches PathPrefix "/", as does a match without a path.
            var matches = rule.Matches.Count == 0 ? [new HttpRouteMatch()] : rule.Matches;
            foreach (var match in matches)
            {
                result.Add(http with { Match = [Match(match)] });
            }
        }

        return result;
    }

    private static bool TryHeaderModifier(HttpRouteFilter filter, ref HeaderOperations? request, ref HeaderOperations? response)
    {
        switch (filter.Type)
        {
            case "RequestHeaderModifier" when filter.RequestHeaderModifier is { } modifier:
                request = HeaderOperations(modifier);
                return true;
            case "ResponseHeaderModifier" when filter.ResponseHeaderModifier is { } modifier:
                response = HeaderOperations(modifier);
                return true;
            default:
                return false;
        }
    }

    private static HttpMatchRequest Match(HttpRouteMatch match)
    {
        var path = match.Path ?? new HttpPathMatch("PathPrefix", "/");
        var uri = path.Type switch
        {
            "Exact" => new StringMatch { Exact = path.Value },
            "RegularExpression" => new StringMatch { Regex = path.Value },
            // "When specified, a trailing `/` is ignored."
            _ => new StringMatch { Prefix = path.Value == "/" ? "/" : path.Value.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/" },
        };
        return new HttpMatchRequest
        {
            Uri = uri,
            Headers = ValueMatches(match.Headers),
            QueryParams = ValueMatches(match.QueryParams),
            Method = match.Method is { } method ? new StringMatch { Exact = method } : null,
        };
    }

    // A later condition on one name replaces an earlier one (istiod writes them into a map).
    private static KeyValuePair<string, StringMatch>[] ValueMatches(IReadOnlyList<HttpValueMatch> matches)
    {
        var byName = new Dictionary<string, StringMatch>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var match in matches)
        {
            if (!byName.ContainsKey(match.Name))
            {
                order.Add(match.Name);
            }

            byName[match.Name] = match.Type == "RegularExpression" ? new StringMatch { Regex = match.Value } : new StringMatch { Exact = match.Value };
        }

        return order.Select(n => new KeyValuePair<string, StringMatch>(n, byName[n])).ToArray();
    }

    // Names lower-cased, the first of a repeated name kept (istiod's headerListToMap).
    private static HeaderOperations HeaderOperations(HeaderModifier modifier) => new()
    {
        Set = modifier.Set.Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value)).DistinctBy(h => h.Key).ToArray(),
        Add = modifier.Add.Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value)).DistinctBy(h => h.Key).ToArray(),
        Remove = modifier.Remove,
    };

    private static HttpRedirect Redirect(RequestRedirectFilter redirect, string path)
    {
        if (redirect.StatusCode is not (301 or 302 or 303 or 307 or 308))
        {
            throw new UnconvertibleRouteException($"{path}.requestRedirect.statusCode", $"unsupported redirect status code {redirect.StatusCode}");
        }

        return new HttpRedirect
        {
            Scheme = redirect.Scheme,
            Authority = redirect.Hostname,
            Port = redirect.Port,
            DerivePort = redirect.Port is not null ? null : redirect.Scheme is not null ? "FROM_PROTOCOL_DEFAULT" : "FROM_REQUEST_PORT",
            Uri = redirect.Path switch
            {
                { Type: "ReplacePrefixMatch" } p => GatewaySemantics.PrefixRedirectMarker + p.Value,
                { } p => p.Value,
                null => null,
            },
            RedirectCode = redirect.StatusCode,
        };
    }

    private static HttpRewrite? Rewrite(UrlRewriteFilter rewrite)
    {
        if (rewrite.Hostname is null && rewrite.Path is null)
        {
            return null;
        }

        return rewrite.Path switch
        {
            { Type: "ReplacePrefixMatch" } p => new HttpRewrite { Authority = rewrite.Hostname, Uri = p.Value.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/" },
            { } p => new HttpRewrite { Authority = rewrite.Hostname, UriRegexRewrite = new RegexRewrite("/.*", p.Value) },
            null => new HttpRewrite { Authority = rewrite.Hostname },
        };
    }

    private static Destination Destination(BackendReference backend, IstioResource route, HashSet<(string, string)> services, Action<IstioResource, string> warn, string path)
    {
        switch (backend.Group, backend.Kind)
        {
            case ("" or "core", "Service"):
                if (backend.Name.Contains('.', StringComparison.Ordinal))
                {
                    throw new UnconvertibleRouteException($"{path}.name", $"service name \"{backend.Name}\" may not contain a dot");
                }

                var port = backend.Port ?? throw new UnconvertibleRouteException($"{path}.port", "port is required in backendRef");
                var ns = backend.Namespace ?? route.Namespace;
                if (!services.Contains((ns, backend.Name)))
                {
                    // It keeps its place: its cluster is missing and its share of requests is answered 500.
                    warn(route, $"{path}: backend service \"{ns}/{backend.Name}\" not found; requests for it are answered 500");
                }

                return new Destination { Host = HostNames.ServiceHost(backend.Name, ns), Port = port };
            case ("networking.istio.io", "Hostname"):
                if (backend.Namespace is not null)
                {
                    throw new UnconvertibleRouteException($"{path}.namespace", "a Hostname backend may not set a namespace");
                }

                return new Destination { Host = backend.Name, Port = backend.Port ?? throw new UnconvertibleRouteException($"{path}.port", "port is required in backendRef") };
            default:
                // istiod's UnknownService: no such cluster, so the route answers 500.
                _ = backend.Port ?? throw new UnconvertibleRouteException($"{path}.port", "port is required in backendRef");
                warn(route, $"{path}: backend kind {backend.Group}/{backend.Kind} is not supported; requests for it are answered 500");
                return new Destination { Host = GatewaySemantics.UnknownServiceHost, Port = backend.Port };
        }
    }

    /// <summary>The routes one VirtualService collects: every HTTPRoute for one namespace, parent port and host.</summary>
    private sealed class Merged(string key, string host, IstioResource first, bool producer)
    {
        private readonly List<(IstioResource Route, IReadOnlyList<HttpRoute> Http)> _parts = [];

        public void Add(IstioResource route, IReadOnlyList<HttpRoute> http) => _parts.Add((route, http));

        public IstioResource ToVirtualService()
        {
            // Routes arrive oldest first (the push context sorts resources by creation time); a stable sort keeps that
            // order among routes of equal precedence.
            var http = _parts.SelectMany(p => p.Http).ToList();
            var sorted = http.Select((h, i) => (h, i)).OrderBy(x => x.h, GatewaySemantics.Precedence).ThenBy(x => x.i).Select(x => x.h).ToArray();
            return new IstioResource
            {
                Kind = ResourceKind.VirtualService,
                Metadata = new ResourceMetadata
                {
                    Name = key.Replace('/', '~'),
                    Namespace = first.Namespace,
                    CreationTimestamp = first.Metadata.CreationTimestamp,
                },
                Source = first.Source,
                Spec = new VirtualServiceSpec
                {
                    Hosts = [host],
                    Gateways = ["mesh"],
                    Http = sorted,
                    ExportTo = producer ? [] : ["."],
                    GatewaySemantics = true,
                    Origin = string.Join(", ", _parts.Select(p => p.Route.Id).Distinct()),
                },
            };
        }
    }

    private sealed class UnconvertibleRouteException(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }
}
