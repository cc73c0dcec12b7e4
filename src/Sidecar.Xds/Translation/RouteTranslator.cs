using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Cors.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;

namespace Sidecar.Xds.Translation;

/// <summary>
/// A <c>RouteConfiguration</c> as the model's route table: virtual hosts and domains; each route's match (path,
/// headers, query parameters, case), action (weighted clusters with their headers, timeout, retry policy, hash
/// policy, rewrites, mirrors, upgrades; redirect; direct response), the fault and CORS filters' per-route configs and
/// header mutations (the route's, then its virtual host's, then the table's, as Envoy applies them). A form the model
/// cannot hold is an error: the push is refused rather than served differently.
/// </summary>
internal static class RouteTranslator
{
    private const string FaultFilter = "envoy.filters.http.fault";
    private const string CorsFilter = "envoy.filters.http.cors";

    public static RouteTableConfig Translate(RouteConfiguration table, TranslationErrors errors)
    {
        var resource = $"RouteConfiguration {table.Name}";
        var tableRequest = XdsValues.Headers(table.RequestHeadersToAdd, table.RequestHeadersToRemove, errors, resource, "request_headers_to_add");
        var tableResponse = XdsValues.Headers(table.ResponseHeadersToAdd, table.ResponseHeadersToRemove, errors, resource, "response_headers_to_add");
        var hosts = new List<VirtualHostConfig>();
        for (var h = 0; h < table.VirtualHosts.Count; h++)
        {
            var host = table.VirtualHosts[h];
            var hostField = $"virtual_hosts[{h}]";
            var hostRequest = XdsValues.Then(XdsValues.Headers(host.RequestHeadersToAdd, host.RequestHeadersToRemove, errors, resource, hostField + ".request_headers_to_add"), tableRequest);
            var hostResponse = XdsValues.Then(XdsValues.Headers(host.ResponseHeadersToAdd, host.ResponseHeadersToRemove, errors, resource, hostField + ".response_headers_to_add"), tableResponse);
            var routes = new List<RouteConfig>();
            for (var r = 0; r < host.Routes.Count; r++)
            {
                if (Route(host.Routes[r], host, hostRequest, hostResponse, errors, resource, $"{hostField}.routes[{r}]") is { } route)
                {
                    routes.Add(route);
                }
            }

            hosts.Add(new VirtualHostConfig { Name = host.Name, Domains = host.Domains.ToEquatableArray(), Routes = routes.ToEquatableArray() });
        }

        return new RouteTableConfig { Name = table.Name, VirtualHosts = hosts.ToEquatableArray() };
    }

    private static RouteConfig? Route(Route route, VirtualHost host, HeaderMutationConfig hostRequest, HeaderMutationConfig hostResponse, TranslationErrors errors, string resource, string field)
    {
        var config = new RouteConfig
        {
            Name = route.Name is { Length: > 0 } name ? name : null,
            Match = Match(route.Match, errors, resource, field + ".match"),
            RequestHeaders = XdsValues.Then(XdsValues.Headers(route.RequestHeadersToAdd, route.RequestHeadersToRemove, errors, resource, field + ".request_headers_to_add"), hostRequest),
            ResponseHeaders = XdsValues.Then(XdsValues.Headers(route.ResponseHeadersToAdd, route.ResponseHeadersToRemove, errors, resource, field + ".response_headers_to_add"), hostResponse),
            Origin = XdsValues.Origin(route.Metadata),
            Fault = PerFilter<HTTPFault>(route.TypedPerFilterConfig, host.TypedPerFilterConfig, FaultFilter, errors, resource, field) is { } fault ? Fault(fault) : null,
            Cors = PerFilter<CorsPolicy>(route.TypedPerFilterConfig, host.TypedPerFilterConfig, CorsFilter, errors, resource, field) is { } cors ? Cors(cors, errors, resource, field) : null,
        };

        switch (route.ActionCase)
        {
            case Envoy.Config.Route.V3.Route.ActionOneofCase.Route_:
                return config with { Route = Action(route.Route_, host.RetryPolicy, errors, resource, field + ".route") };
            case Envoy.Config.Route.V3.Route.ActionOneofCase.Redirect:
                return config with { Redirect = Redirect(route.Redirect, errors, resource, field + ".redirect") };
            case Envoy.Config.Route.V3.Route.ActionOneofCase.DirectResponse:
                var body = route.DirectResponse.Body;
                var text = body?.SpecifierCase switch
                {
                    Envoy.Config.Core.V3.DataSource.SpecifierOneofCase.InlineString => body.InlineString,
                    Envoy.Config.Core.V3.DataSource.SpecifierOneofCase.InlineBytes => body.InlineBytes.ToStringUtf8(),
                    _ => null,
                };
                return config with { DirectResponse = new DirectResponseConfig((int)route.DirectResponse.Status, text) };
            default:
                errors.Add(resource, field, $"route action {route.ActionCase} is not supported");
                return null;
        }
    }

    private static RouteMatchConfig Match(RouteMatch match, TranslationErrors errors, string resource, string field)
    {
        var ignoreCase = match.CaseSensitive == false;
        var path = match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => new PathMatchConfig(PathMatchKind.Prefix, match.Prefix, ignoreCase),
            RouteMatch.PathSpecifierOneofCase.Path => new PathMatchConfig(PathMatchKind.Exact, match.Path, ignoreCase),
            RouteMatch.PathSpecifierOneofCase.SafeRegex => new PathMatchConfig(PathMatchKind.Regex, XdsValues.Regex(match.SafeRegex.Regex, errors, resource, field + ".safe_regex.regex"), ignoreCase),
            RouteMatch.PathSpecifierOneofCase.PathSeparatedPrefix => new PathMatchConfig(PathMatchKind.PathSeparatedPrefix, match.PathSeparatedPrefix, ignoreCase),
            var other => Unsupported<PathMatchConfig>(errors, resource, field, $"path match {other} is not supported"),
        };
        if (match.RuntimeFraction is not null)
        {
            errors.Add(resource, field + ".runtime_fraction", "runtime fractions are not supported");
        }

        var headers = new List<HeaderMatcherConfig>();
        for (var i = 0; i < match.Headers.Count; i++)
        {
            if (HeaderMatch(match.Headers[i], errors, resource, $"{field}.headers[{i}]") is { } header)
            {
                headers.Add(header);
            }
        }

        var parameters = new List<QueryParameterMatcherConfig>();
        for (var i = 0; i < match.QueryParameters.Count; i++)
        {
            var parameter = match.QueryParameters[i];
            parameters.Add(new QueryParameterMatcherConfig
            {
                Name = parameter.Name,
                Match = parameter.StringMatch is { } value ? XdsValues.Matcher(value, errors, resource, $"{field}.query_parameters[{i}].string_match") : null,
            });
        }

        return new RouteMatchConfig { Path = path ?? PathMatchConfig.Any, Headers = headers.ToEquatableArray(), QueryParameters = parameters.ToEquatableArray() };
    }

    /// <summary>A header condition, the deprecated one-field forms included (istiod still writes some).</summary>
    public static HeaderMatcherConfig? HeaderMatch(HeaderMatcher header, TranslationErrors errors, string resource, string field)
    {
        StringMatcherConfig? value = header.HeaderMatchSpecifierCase switch
        {
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => XdsValues.Matcher(header.StringMatch, errors, resource, field + ".string_match"),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => new StringMatcherConfig(StringMatchKind.Exact, header.ExactMatch),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => new StringMatcherConfig(StringMatchKind.Prefix, header.PrefixMatch),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SuffixMatch => new StringMatcherConfig(StringMatchKind.Suffix, header.SuffixMatch),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ContainsMatch => new StringMatcherConfig(StringMatchKind.Contains, header.ContainsMatch),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.SafeRegexMatch => new StringMatcherConfig(StringMatchKind.Regex, XdsValues.Regex(header.SafeRegexMatch.Regex, errors, resource, field + ".safe_regex_match.regex")),
            _ => null,
        };
        if (header.HeaderMatchSpecifierCase == HeaderMatcher.HeaderMatchSpecifierOneofCase.RangeMatch)
        {
            errors.Add(resource, field + ".range_match", "range matches are not supported");
            return null;
        }

        return new HeaderMatcherConfig
        {
            Name = header.Name,
            Match = value,
            // No value condition: a presence check (present_match, or Envoy's default of "present").
            PresentMatch = header.HeaderMatchSpecifierCase != HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch || header.PresentMatch,
            InvertMatch = header.InvertMatch,
        };
    }

    private static RouteActionConfig Action(RouteAction action, RetryPolicy? hostRetry, TranslationErrors errors, string resource, string field)
    {
        var clusters = new List<WeightedClusterConfig>();
        switch (action.ClusterSpecifierCase)
        {
            case RouteAction.ClusterSpecifierOneofCase.Cluster:
                clusters.Add(new WeightedClusterConfig { Cluster = action.Cluster });
                break;
            case RouteAction.ClusterSpecifierOneofCase.WeightedClusters:
                for (var i = 0; i < action.WeightedClusters.Clusters.Count; i++)
                {
                    var weighted = action.WeightedClusters.Clusters[i];
                    var at = $"{field}.weighted_clusters.clusters[{i}]";
                    clusters.Add(new WeightedClusterConfig
                    {
                        Cluster = weighted.Name,
                        Weight = (int)(weighted.Weight ?? 0),
                        RequestHeaders = XdsValues.Headers(weighted.RequestHeadersToAdd, weighted.RequestHeadersToRemove, errors, resource, at + ".request_headers_to_add"),
                        ResponseHeaders = XdsValues.Headers(weighted.ResponseHeadersToAdd, weighted.ResponseHeadersToRemove, errors, resource, at + ".response_headers_to_add"),
                    });
                }

                break;
            default:
                errors.Add(resource, field, $"cluster specifier {action.ClusterSpecifierCase} is not supported");
                break;
        }

        var mirrors = action.RequestMirrorPolicies
            .Select(m => new MirrorPolicyConfig(m.Cluster, m.RuntimeFraction is { } fraction ? XdsValues.Fraction(fraction.DefaultValue) : Percentage.Full))
            .ToEquatableArray();
        var retry = action.RetryPolicy ?? hostRetry;
        return new RouteActionConfig
        {
            Clusters = clusters.ToEquatableArray(),
            // Envoy's route timeout defaults to 15 s; 0 turns it off (istiod writes 0s unless a VirtualService sets one).
            Timeout = XdsValues.Duration(action.Timeout) is { } timeout ? (timeout == TimeSpan.Zero ? null : timeout) : TimeSpan.FromSeconds(15),
            Retry = retry is null ? null : Retry(retry),
            HashPolicy = action.HashPolicy.Select(HashPolicy).OfType<HashPolicyConfig>().ToEquatableArray(),
            PrefixRewrite = action.PrefixRewrite is { Length: > 0 } prefix ? prefix : null,
            RegexRewrite = action.RegexRewrite is { } rewrite ? new RegexRewriteConfig(XdsValues.Regex(rewrite.Pattern?.Regex ?? "", errors, resource, field + ".regex_rewrite.pattern.regex"), rewrite.Substitution) : null,
            HostRewrite = action.HostRewriteSpecifierCase == RouteAction.HostRewriteSpecifierOneofCase.HostRewriteLiteral ? action.HostRewriteLiteral : null,
            Mirrors = mirrors,
            ClusterNotFoundStatus = action.ClusterNotFoundResponseCode switch
            {
                RouteAction.Types.ClusterNotFoundResponseCode.InternalServerError => 500,
                RouteAction.Types.ClusterNotFoundResponseCode.NotFound => 404,
                _ => 503,
            },
            AllowUpgrades = action.UpgradeConfigs.Any(u => u.UpgradeType.Equals("websocket", StringComparison.OrdinalIgnoreCase) && u.Enabled != false),
        };
    }

    /// <summary>Envoy's retry policy: <c>retry_on</c> names (bare status codes are not Envoy's: istiod moves them to <c>retriable_status_codes</c>).</summary>
    private static RetryPolicyConfig Retry(RetryPolicy retry) => new()
    {
        NumRetries = (int)(retry.NumRetries ?? 1),
        RetryOn = RetryOnNames.ParseList(retry.RetryOn),
        RetriableStatusCodes = retry.RetriableStatusCodes.Select(c => (int)c).ToEquatableArray(),
        PerTryTimeout = XdsValues.Duration(retry.PerTryTimeout) is { } perTry && perTry > TimeSpan.Zero ? perTry : null,
        BackoffBaseInterval = XdsValues.Duration(retry.RetryBackOff?.BaseInterval) ?? RetryPolicyConfig.DefaultBackoffBase,
        BackoffMaxInterval = XdsValues.Duration(retry.RetryBackOff?.MaxInterval),
        RetryOtherHosts = retry.RetryHostPredicate.Any(p => p.Name == "envoy.retry_host_predicates.previous_hosts"),
        RetryOtherPriorities = retry.RetryPriority?.Name == "envoy.retry_priorities.previous_priorities",
        HostSelectionRetryMaxAttempts = retry.HostSelectionRetryMaxAttempts > 0 ? (int)retry.HostSelectionRetryMaxAttempts : 1,
    };

    private static HashPolicyConfig? HashPolicy(RouteAction.Types.HashPolicy policy) => policy.PolicySpecifierCase switch
    {
        RouteAction.Types.HashPolicy.PolicySpecifierOneofCase.Header => new HashPolicyConfig { Kind = HashPolicyKind.Header, Name = policy.Header.HeaderName },
        RouteAction.Types.HashPolicy.PolicySpecifierOneofCase.Cookie => new HashPolicyConfig
        {
            Kind = HashPolicyKind.Cookie,
            Name = policy.Cookie.Name,
            CookieTtl = XdsValues.Duration(policy.Cookie.Ttl),
            CookiePath = policy.Cookie.Path is { Length: > 0 } path ? path : null,
        },
        RouteAction.Types.HashPolicy.PolicySpecifierOneofCase.ConnectionProperties when policy.ConnectionProperties.SourceIp => new HashPolicyConfig { Kind = HashPolicyKind.SourceIp },
        RouteAction.Types.HashPolicy.PolicySpecifierOneofCase.QueryParameter => new HashPolicyConfig { Kind = HashPolicyKind.QueryParameter, Name = policy.QueryParameter.Name },
        _ => null,
    };

    private static RedirectConfig? Redirect(RedirectAction redirect, TranslationErrors errors, string resource, string field)
    {
        if (redirect.PathRewriteSpecifierCase == RedirectAction.PathRewriteSpecifierOneofCase.RegexRewrite)
        {
            errors.Add(resource, field + ".regex_rewrite", "regex redirects are not supported");
            return null;
        }

        return new RedirectConfig
        {
            Scheme = redirect.SchemeRewriteSpecifierCase switch
            {
                RedirectAction.SchemeRewriteSpecifierOneofCase.HttpsRedirect when redirect.HttpsRedirect => "https",
                RedirectAction.SchemeRewriteSpecifierOneofCase.SchemeRedirect => redirect.SchemeRedirect,
                _ => null,
            },
            Host = redirect.HostRedirect is { Length: > 0 } host ? host : null,
            Port = redirect.PortRedirect > 0 ? (int)redirect.PortRedirect : null,
            PathRedirect = redirect.PathRewriteSpecifierCase == RedirectAction.PathRewriteSpecifierOneofCase.PathRedirect ? redirect.PathRedirect : null,
            PrefixRewrite = redirect.PathRewriteSpecifierCase == RedirectAction.PathRewriteSpecifierOneofCase.PrefixRewrite ? redirect.PrefixRewrite : null,
            ResponseCode = redirect.ResponseCode switch
            {
                RedirectAction.Types.RedirectResponseCode.Found => 302,
                RedirectAction.Types.RedirectResponseCode.SeeOther => 303,
                RedirectAction.Types.RedirectResponseCode.TemporaryRedirect => 307,
                RedirectAction.Types.RedirectResponseCode.PermanentRedirect => 308,
                _ => 301,
            },
            StripQuery = redirect.StripQuery,
        };
    }

    private static FaultConfig Fault(HTTPFault fault) => new()
    {
        Delay = fault.Delay is { FixedDelay: { } delay } ? new DelayFaultConfig(delay.ToTimeSpan(), XdsValues.Fraction(fault.Delay.Percentage)) : null,
        Abort = fault.Abort is { } abort
            ? new AbortFaultConfig(
                abort.ErrorTypeCase == FaultAbort.ErrorTypeOneofCase.HttpStatus ? (int)abort.HttpStatus : null,
                abort.ErrorTypeCase == FaultAbort.ErrorTypeOneofCase.GrpcStatus ? (int)abort.GrpcStatus : null,
                XdsValues.Fraction(abort.Percentage))
            : null,
    };

    private static CorsPolicyConfig Cors(CorsPolicy cors, TranslationErrors errors, string resource, string field) => new()
    {
        AllowOrigins = cors.AllowOriginStringMatch
            .Select((m, i) => XdsValues.Matcher(m, errors, resource, $"{field}.typed_per_filter_config[{CorsFilter}].allow_origin_string_match[{i}]"))
            .OfType<StringMatcherConfig>()
            .ToEquatableArray(),
        AllowMethods = cors.AllowMethods,
        AllowHeaders = cors.AllowHeaders,
        ExposeHeaders = cors.ExposeHeaders,
        MaxAge = cors.MaxAge,
        AllowCredentials = cors.AllowCredentials == true,
        ForwardNotMatchingPreflights = cors.ForwardNotMatchingPreflights != false,
    };

    /// <summary>A filter's per-route config: the route's, else its virtual host's (Envoy's most specific wins).</summary>
    private static T? PerFilter<T>(Google.Protobuf.Collections.MapField<string, Any> route, Google.Protobuf.Collections.MapField<string, Any> host, string filter, TranslationErrors errors, string resource, string field)
        where T : class, Google.Protobuf.IMessage, new()
    {
        if (!route.TryGetValue(filter, out var any) && !host.TryGetValue(filter, out any))
        {
            return null;
        }

        if (any.TryUnpack<T>(out var config))
        {
            return config;
        }

        errors.Add(resource, $"{field}.typed_per_filter_config[{filter}]", $"expected {Any.GetTypeName(any.TypeUrl)} to be {new T().Descriptor.FullName}");
        return null;
    }

    private static T? Unsupported<T>(TranslationErrors errors, string resource, string field, string message)
        where T : class
    {
        errors.Add(resource, field, message);
        return null;
    }
}
