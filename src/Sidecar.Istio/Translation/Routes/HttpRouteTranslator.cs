using System.Text;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Routes;

/// <summary>
/// Istio's <c>BuildHTTPRoutesForVirtualService</c> and <c>TranslateRoute</c>: one Envoy route per <c>match</c> of each
/// <c>http[]</c> rule (a rule without matches is a catch-all), for the routes of one listener port, stopping after a
/// catch-all.
/// </summary>
internal sealed class HttpRouteTranslator(PushContext push)
{
    public List<RouteConfig> Translate(VirtualServiceEntry vs, int listenPort)
    {
        var routes = new List<RouteConfig>();
        foreach (var http in vs.Spec.Http)
        {
            var catchAll = false;
            if (http.Match.Count == 0)
            {
                if (TranslateRoute(vs, http, null, listenPort) is { } route)
                {
                    routes.Add(route);
                }

                catchAll = true;
            }
            else
            {
                foreach (var match in http.Match)
                {
                    if (TranslateRoute(vs, http, match, listenPort) is not { } route)
                    {
                        continue;
                    }

                    routes.Add(route);
                    if (RouteMatchTranslator.IsCatchAll(route.Match))
                    {
                        // Later routes could never match.
                        catchAll = true;
                        break;
                    }
                }
            }

            if (catchAll)
            {
                break;
            }
        }

        return routes;
    }

    /// <summary>Istio's <c>sourceMatchHTTP</c>: match-level gateways must name <c>mesh</c>; otherwise the source
    /// labels and namespace must describe this proxy.</summary>
    public static bool SourceMatches(IReadOnlyList<string> gateways, IReadOnlyDictionary<string, string> sourceLabels, string? sourceNamespace, WorkloadInfo workload)
    {
        if (gateways.Count > 0)
        {
            return gateways.Contains("mesh");
        }

        return workload.Labels.IsSupersetOf(Labels.From(sourceLabels)) &&
            (string.IsNullOrEmpty(sourceNamespace) || sourceNamespace == workload.Namespace);
    }

    private RouteConfig? TranslateRoute(VirtualServiceEntry vs, HttpRoute http, HttpMatchRequest? match, int listenPort)
    {
        if (match is not null && match.Port is { } port && port != 0 && port != listenPort)
        {
            return null;
        }

        if (match is not null && !SourceMatches(match.Gateways, match.SourceLabels, match.SourceNamespace, push.Workload))
        {
            return null;
        }

        var name = http.Name;
        if (!string.IsNullOrEmpty(match?.Name))
        {
            name = $"{name}.{match.Name}";
        }

        var headers = HeaderOperationsTranslator.Translate(http.Headers);
        var route = new RouteConfig
        {
            Name = string.IsNullOrEmpty(name) ? null : name,
            Match = RouteMatchTranslator.Translate(match, vs.Spec.GatewaySemantics),
            RequestHeaders = headers.Request,
            ResponseHeaders = headers.Response,
            Fault = Fault(http.Fault, vs),
            Cors = CorsPolicyTranslator.Translate(http.CorsPolicy),
            Origin = vs.Origin,
        };

        if (http.Redirect is { } redirect)
        {
            return route with { Redirect = Redirect(redirect, listenPort, vs.Spec.GatewaySemantics) };
        }

        if (http.DirectResponse is { } direct)
        {
            var body = direct.BodyString ?? (direct.BodyBytes is { } bytes ? Encoding.UTF8.GetString(bytes) : null);
            return route with { DirectResponse = new DirectResponseConfig(direct.Status, body) };
        }

        return ApplyDestinations(route, vs, http, headers.Authority, listenPort);
    }

    /// <summary>Istio's <c>applyHTTPRouteDestination</c>.</summary>
    private RouteConfig ApplyDestinations(RouteConfig route, VirtualServiceEntry vs, HttpRoute http, string? authority, int listenPort)
    {
        var action = new RouteActionConfig
        {
            Timeout = http.Timeout?.ToTimeSpan(),
            ClusterNotFoundStatus = vs.Spec.GatewaySemantics ? 500 : 503,
        };
        if (http.Rewrite is { } rewrite)
        {
            if (rewrite.UriRegexRewrite is { } regex)
            {
                action = action with { RegexRewrite = new RegexRewriteConfig(regex.Match, regex.Rewrite) };
            }
            else if (vs.Spec.GatewaySemantics && rewrite.Uri == "/" && route.Match.Path is { Kind: PathMatchKind.PathSeparatedPrefix, Value: var prefix })
            {
                // Gateway API's ReplacePrefixMatch "/" strips the prefix and the slash after it: /api/v1 -> /v1, not //v1.
                action = action with { RegexRewrite = new RegexRewriteConfig($"^{GatewayApi.GatewaySemantics.QuoteMeta(prefix)}(/?)(.*)", @"/\2") };
            }
            else if (!string.IsNullOrEmpty(rewrite.Uri))
            {
                // Envoy's prefix_rewrite replaces the matched prefix; for an exact or regex match that is the whole path.
                action = action with { PrefixRewrite = rewrite.Uri };
            }

            if (!string.IsNullOrEmpty(rewrite.Authority))
            {
                authority = rewrite.Authority;
            }
        }

        var mirrors = new List<MirrorPolicyConfig>();
        if (http.Mirror is { } mirror && MirrorFraction(http) is { } fraction)
        {
            mirrors.Add(new MirrorPolicyConfig(DestinationCluster(vs, mirror, listenPort), fraction));
        }

        foreach (var policy in http.Mirrors)
        {
            var percent = policy.Percentage is { } p ? (p > 0 ? Fraction(p) : (Percentage?)null) : Percentage.Full;
            if (policy.Destination is { } destination && percent is { } share)
            {
                mirrors.Add(new MirrorPolicyConfig(DestinationCluster(vs, destination, listenPort), share));
            }
        }

        var clusters = new List<WeightedClusterConfig>();
        var hashes = new List<HashPolicyConfig>();
        var requestHeaders = route.RequestHeaders;
        var responseHeaders = route.ResponseHeaders;
        var consistentHash = false;
        if (http.Route.Count == 1)
        {
            var only = http.Route[0];
            var destination = only.Destination!;
            clusters.Add(new WeightedClusterConfig { Cluster = DestinationCluster(vs, destination, listenPort), Weight = 100 });
            var operations = HeaderOperationsTranslator.Translate(only.Headers);
            requestHeaders = HeaderOperationsTranslator.Concat(requestHeaders, operations.Request);
            responseHeaders = HeaderOperationsTranslator.Concat(responseHeaders, operations.Response);
            authority ??= operations.Authority;
            var hash = Hash(vs, destination);
            consistentHash = hash is not null;
            if (HashPolicies.ToHashPolicy(hash) is { } hashPolicy)
            {
                hashes.Add(hashPolicy);
            }
        }
        else
        {
            foreach (var weighted in http.Route)
            {
                if (weighted.Weight == 0)
                {
                    // Istio drops zero-weight destinations when there are several.
                    continue;
                }

                var destination = weighted.Destination!;
                var operations = HeaderOperationsTranslator.Translate(weighted.Headers);
                if (operations.Authority is not null)
                {
                    push.Warn(vs.Resource, $"an authority set in the headers of one of several weighted destinations ({destination.Host}) is not applied");
                }

                clusters.Add(new WeightedClusterConfig
                {
                    Cluster = DestinationCluster(vs, destination, listenPort),
                    Weight = weighted.Weight,
                    RequestHeaders = operations.Request,
                    ResponseHeaders = operations.Response,
                });
                if (HashPolicies.ToHashPolicy(Hash(vs, destination)) is { } hashPolicy)
                {
                    hashes.Add(hashPolicy);
                }
            }
        }

        action = action with
        {
            Clusters = clusters.ToEquatableArray(),
            HostRewrite = string.IsNullOrEmpty(authority) ? null : authority,
            Mirrors = mirrors.ToEquatableArray(),
            HashPolicy = hashes.ToEquatableArray(),
            Retry = RetryPolicies.Convert(http.Retries ?? push.Mesh.DefaultHttpRetryPolicy, consistentHash),
        };
        return route with { Route = action, RequestHeaders = requestHeaders, ResponseHeaders = responseHeaders };
    }

    /// <summary>Istio's <c>GetDestinationCluster</c> for a sidecar route table: the destination's port, else the listener's
    /// (the route table's services are restricted to that port, so the single-port rule lands on it too).</summary>
    private static string DestinationCluster(VirtualServiceEntry vs, Destination destination, int listenPort) =>
        ClusterName.Outbound(destination.Port is > 0 and var port ? port : listenPort, string.IsNullOrEmpty(destination.Subset) ? null : destination.Subset,
            vs.ResolveHost(destination.Host));

    private ConsistentHashLb? Hash(VirtualServiceEntry vs, Destination destination)
    {
        var host = vs.ResolveHost(destination.Host);
        return push.FindService(host) is { } service
            ? HashPolicies.ForDestination(push.DestinationRules.Find(host, service.Namespace), destination)
            : null;
    }

    /// <summary>Istio's <c>MirrorPercent</c>: <c>mirrorPercentage</c>, else the integer <c>mirrorPercent</c>, else 100%;
    /// an explicit 0 disables the mirror.</summary>
    private static Percentage? MirrorFraction(HttpRoute http)
    {
        if (http.MirrorPercentage is { } percentage)
        {
            return percentage > 0 ? Fraction(percentage) : null;
        }

        if (http.MirrorPercent is { } percent)
        {
            return percent > 0 ? Percentage.FromPercent(percent) : null;
        }

        return Percentage.Full;
    }

    /// <summary>Istio's <c>translatePercentToFractionalPercent</c>: <c>uint32(value * 10000)</c> parts per million.</summary>
    internal static Percentage Fraction(double percent) => new((int)Math.Clamp(percent * 10_000, 0, Percentage.Million));

    /// <summary>Istio's <c>TranslateFault</c>. An unset percentage injects nothing, as Envoy reads it as 0%.</summary>
    private FaultConfig? Fault(HttpFaultInjection? fault, VirtualServiceEntry vs)
    {
        if (fault is null)
        {
            return null;
        }

        DelayFaultConfig? delay = null;
        if (fault.Delay is { } d)
        {
            if (d.FixedDelay is { } fixedDelay)
            {
                var share = d.Percentage is { } p ? Fraction(p) : Percentage.FromPercent(d.Percent ?? 0);
                delay = new DelayFaultConfig(fixedDelay.ToTimeSpan(), share);
            }
            else
            {
                push.Warn(vs.Resource, "a fault delay without fixedDelay is not applied");
            }
        }

        AbortFaultConfig? abort = null;
        if (fault.Abort is { } a)
        {
            var share = a.Percentage is { } p ? Fraction(p) : Percentage.None;
            if (a.HttpStatus is { } status)
            {
                abort = new AbortFaultConfig(status, null, share);
            }
            else if (a.GrpcStatus is { } grpc && GrpcStatusCodes.TryGetCode(grpc, out var code))
            {
                abort = new AbortFaultConfig(null, code, share);
            }
        }

        return delay is null && abort is null ? null : new FaultConfig { Delay = delay, Abort = abort };
    }

    /// <summary>Istio's <c>ApplyRedirect</c> for sidecars: <c>uri</c> always replaces the whole path;
    /// <c>derivePort: FROM_REQUEST_PORT</c> is the route table's port; :80 for http and :443 for https are dropped.</summary>
    private static RedirectConfig Redirect(HttpRedirect redirect, int listenPort, bool gatewaySemantics)
    {
        int? port = null;
        if (redirect.Port is { } explicitPort)
        {
            port = explicitPort;
        }
        else if (redirect.DerivePort == "FROM_REQUEST_PORT")
        {
            port = listenPort;
        }

        if (redirect.Port is not null || redirect.DerivePort is not null)
        {
            var scheme = string.IsNullOrEmpty(redirect.Scheme) ? "http" : redirect.Scheme;
            if ((port == 80 && scheme == "http") || (port == 443 && scheme == "https") || port == 0)
            {
                port = null;
            }
        }

        // A converted ReplacePrefixMatch redirect (istiod's %PREFIX()% marker) replaces only the matched prefix.
        var prefixRewrite = gatewaySemantics && redirect.Uri is { } uri && uri.StartsWith(GatewayApi.GatewaySemantics.PrefixRedirectMarker, StringComparison.Ordinal)
            ? uri[GatewayApi.GatewaySemantics.PrefixRedirectMarker.Length..]
            : null;
        return new RedirectConfig
        {
            Scheme = string.IsNullOrEmpty(redirect.Scheme) ? null : redirect.Scheme,
            Host = string.IsNullOrEmpty(redirect.Authority) ? null : redirect.Authority,
            Port = port,
            PathRedirect = string.IsNullOrEmpty(redirect.Uri) || prefixRewrite is not null ? null : redirect.Uri,
            PrefixRewrite = prefixRewrite,
            ResponseCode = redirect.RedirectCode == 0 ? 301 : redirect.RedirectCode,
        };
    }
}
