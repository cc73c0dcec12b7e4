using System.Globalization;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's <c>ValidateVirtualService</c> rules (pkg/config/validation/virtualservice.go and validation.go).</summary>
internal static class VirtualServiceValidator
{
    private static readonly HashSet<string> SupportedRetryOn = new(StringComparer.Ordinal)
    {
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    };

    private static readonly HashSet<string> CorsMethods = new(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*",
    };

    private static readonly HashSet<string> PseudoHeaders = new(StringComparer.Ordinal) { ":method", ":scheme", ":authority", ":path", ":status" };

    public static void Validate(VirtualServiceSpec vs, ValidationReport report)
    {
        var ns = report.Resource.Namespace;

        // A VirtualService without hosts is a delegate: only a root's http[].delegate uses its routes.
        var isDelegate = vs.Hosts.Count == 0;
        if (isDelegate)
        {
            report.Error("spec.gateways", "delegate virtual service must have no gateways specified", vs.Gateways.Count > 0);
            report.Error("spec.tls", "delegate virtual service must have no tls route specified", vs.Tls.Count > 0);
            report.Error("spec.tcp", "delegate virtual service must have no tcp route specified", vs.Tcp.Count > 0);
        }

        var appliesToMesh = vs.Gateways.Count == 0 || vs.Gateways.Contains("mesh");
        ValidateGatewayNames(vs.Gateways, "spec.gateways", report);

        var allHostsValid = true;
        for (var i = 0; i < vs.Hosts.Count; i++)
        {
            var host = vs.Hosts[i];
            if (HostNames.ValidateWildcardDomain(host) is { } error)
            {
                if (!HostNames.IsIpAddress(host))
                {
                    report.Error($"spec.hosts[{i}]", error);
                    allHostsValid = false;
                }
            }
            else if (appliesToMesh && host == "*")
            {
                report.Error($"spec.hosts[{i}]", "wildcard host * is not allowed for virtual services bound to the mesh gateway");
                allHostsValid = false;
            }
        }

        if (allHostsValid)
        {
            for (var i = 0; i < vs.Hosts.Count; i++)
            {
                for (var j = i + 1; j < vs.Hosts.Count; j++)
                {
                    // As written, as Istio compares them: a short name and its FQDN may both be listed.
                    if (HostNames.Matches(vs.Hosts[i], vs.Hosts[j]))
                    {
                        report.Error("spec.hosts", $"duplicate hosts in virtual service: {vs.Hosts[i]} & {vs.Hosts[j]}");
                    }
                }
            }
        }

        if (vs.Http.Count == 0 && vs.Tcp.Count == 0 && vs.Tls.Count == 0)
        {
            report.Error("spec", "http, tcp or tls must be provided in virtual service");
        }

        for (var i = 0; i < vs.Http.Count; i++)
        {
            report.Error($"spec.http[{i}].delegate", "delegate virtual service cannot have delegate", isDelegate && vs.Http[i].Delegate is not null);
            ValidateHttpRoute(vs.Http[i], $"spec.http[{i}]", report);
        }

        for (var i = 0; i < vs.Tls.Count; i++)
        {
            ValidateTlsRoute(vs.Tls[i], vs, $"spec.tls[{i}]", report);
        }

        for (var i = 0; i < vs.Tcp.Count; i++)
        {
            var tcp = vs.Tcp[i];
            var path = $"spec.tcp[{i}]";
            for (var m = 0; m < tcp.Match.Count; m++)
            {
                var match = tcp.Match[m];
                ValidateL4Match(match.DestinationSubnets, match.Port, match.SourceLabels, match.Gateways, $"{path}.match[{m}]", report);
            }

            if (tcp.Route.Count == 0)
            {
                report.Error($"{path}.route", "TCP route is required");
            }

            ValidateRouteDestinations(tcp.Route.Select(r => (r.Destination, r.Weight, (Headers?)null)).ToArray(), $"{path}.route", report);
        }

        foreach (var message in CommonRules.ExportTo(ns, vs.ExportTo, isServiceEntry: false, isDestinationRuleWithSelector: false))
        {
            report.Error("spec.exportTo", message);
        }
    }

    /// <summary>Istio's <c>validateHTTPRoute</c>.</summary>
    private static void ValidateHttpRoute(HttpRoute http, string path, ValidationReport report)
    {
        if (http.Delegate is { } delegation)
        {
            report.Error($"{path}.delegate.name", "delegate name is required", string.IsNullOrEmpty(delegation.Name));
            report.Error(path, "HTTP route cannot contain both route and delegate", http.Route.Count > 0);
            report.Error(path, "HTTP route cannot contain both redirect and delegate", http.Redirect is not null);
            report.Error(path, "HTTP route cannot contain both direct_response and delegate", http.DirectResponse is not null);
        }

        // Conflicts between actions.
        if (http.Redirect is not null)
        {
            report.Error(path, "HTTP route cannot contain both route and redirect", http.Route.Count > 0);
            report.Error(path, "HTTP route cannot contain both fault and redirect", http.Fault is not null);
            report.Error(path, "HTTP route rule cannot contain both rewrite and redirect", http.Rewrite is not null);
            report.Error(path, "HTTP route rule cannot contain both direct_response and redirect", http.DirectResponse is not null);
        }
        else if (http.DirectResponse is not null)
        {
            report.Error(path, "HTTP route cannot contain both route and direct_response", http.Route.Count > 0);
            report.Error(path, "HTTP route cannot contain both fault and direct_response", http.Fault is not null);
            report.Error(path, "HTTP route rule cannot contain both rewrite and direct_response", http.Rewrite is not null);
        }
        else if (http.Route.Count == 0 && http.Delegate is null)
        {
            report.Error(path, "HTTP route, redirect or direct_response is required");
        }

        report.Error(path, "HTTP route cannot contain both mirror and mirrors", http.Mirror is not null && http.Mirrors.Count > 0);

        for (var m = 0; m < http.Match.Count; m++)
        {
            ValidateHttpMatch(http.Match[m], $"{path}.match[{m}]", report);
        }

        ValidateHeaders(http.Headers, $"{path}.headers", report);

        if (http.CorsPolicy is { } cors)
        {
            ValidateCors(cors, $"{path}.corsPolicy", report);
        }

        if (http.Fault is { } fault)
        {
            ValidateFault(fault, $"{path}.fault", report);
        }

        if (http.MirrorPercent is { } mirrorPercent)
        {
            report.Error($"{path}.mirrorPercent", $"mirror_percent must have a max value of 100 (it has {mirrorPercent})", mirrorPercent > 100);
            report.Warning($"{path}.mirrorPercent", "using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead");
        }

        if (http.MirrorPercentage is { } mirrorPercentage)
        {
            report.Error($"{path}.mirrorPercentage", $"mirror_percentage must have a max value of 100 (it has {mirrorPercentage})", mirrorPercentage > 100);
            report.Error($"{path}.mirrorPercentage", $"mirror_percentage must have a min value of 0 (it has {mirrorPercentage})", mirrorPercentage < 0);
        }

        foreach (var (field, message) in CommonRules.Destination(http.Mirror))
        {
            report.Error($"{path}.mirror.{field}", message);
        }

        for (var i = 0; i < http.Mirrors.Count; i++)
        {
            var mirror = http.Mirrors[i];
            if (mirror.Destination is null)
            {
                report.Error($"{path}.mirrors[{i}].destination", "destination is required for mirrors");
                continue;
            }

            foreach (var (field, message) in CommonRules.Destination(mirror.Destination))
            {
                report.Error($"{path}.mirrors[{i}].destination.{field}", message);
            }

            if (mirror.Percentage is { } p)
            {
                report.Error($"{path}.mirrors[{i}].percentage", $"mirror percentage must have a max value of 100 (it has {p})", p > 100);
                report.Error($"{path}.mirrors[{i}].percentage", $"mirror percentage must have a min value of 0 (it has {p})", p < 0);
            }
        }

        if (http.Redirect is { } redirect)
        {
            ValidateRedirect(redirect, $"{path}.redirect", report);
        }

        if (http.DirectResponse is { } direct)
        {
            var size = direct.BodyString is { } s ? System.Text.Encoding.UTF8.GetByteCount(s) : direct.BodyBytes?.Length ?? 0;
            report.Error($"{path}.directResponse.body", "large direct_responses may impact control plane performance, must be less than 1MB", size > 1024 * 1024);
            if (size is > 100 * 1024 and <= 1024 * 1024)
            {
                report.Warning($"{path}.directResponse.body", "large direct_responses may impact control plane performance");
            }

            report.Check($"{path}.directResponse.status", HttpStatus(direct.Status));
        }

        if (http.Retries is { } retries)
        {
            ValidateRetry(retries, $"{path}.retries", report);
        }

        if (http.Rewrite is { } rewrite)
        {
            ValidateRewrite(rewrite, $"{path}.rewrite", report);
        }

        ValidateAuthorityRewrite(http, path, report);
        ValidateRouteDestinations(http.Route.Select(r => (r.Destination, r.Weight, r.Headers)).ToArray(), $"{path}.route", report);
        report.Check($"{path}.timeout", CommonRules.Duration(http.Timeout));
    }

    private static void ValidateHttpMatch(HttpMatchRequest match, string path, ValidationReport report)
    {
        foreach (var (name, header) in match.Headers)
        {
            report.Check($"{path}.headers.{name}", HeaderNameForRoute(name));
            report.Check($"{path}.headers.{name}", CommonRules.StringMatch(header, "headers"));
        }

        foreach (var (name, header) in match.WithoutHeaders)
        {
            report.Check($"{path}.withoutHeaders.{name}", HeaderNameForRoute(name));
            if (header.Regex != "*")
            {
                report.Check($"{path}.withoutHeaders.{name}", CommonRules.StringMatch(header, "withoutHeaders"));
            }
        }

        report.Check($"{path}.uri", CommonRules.UriMatch(match.Uri));
        report.Check($"{path}.scheme", CommonRules.StringMatch(match.Scheme, "scheme"));
        report.Check($"{path}.method", CommonRules.StringMatch(match.Method, "method"));
        report.Check($"{path}.authority", CommonRules.StringMatch(match.Authority, "authority"));
        foreach (var (name, param) in match.QueryParams)
        {
            report.Check($"{path}.queryParams.{name}", CommonRules.StringMatch(param, "queryParams"));
        }

        if (match.Port is { } port && port != 0)
        {
            report.Check($"{path}.port", CommonRules.Port(port));
        }

        report.Check($"{path}.sourceLabels", CommonRules.Labels(match.SourceLabels));
        ValidateGatewayNames(match.Gateways, $"{path}.gateways", report);
        if (match.SourceNamespace is { Length: > 0 } sourceNamespace && !HostNames.IsDns1123Label(sourceNamespace))
        {
            report.Error($"{path}.sourceNamespace", $"sourceNamespace match {sourceNamespace} is invalid");
        }
    }

    /// <summary>Istio's <c>ValidateHTTPHeaderNameOrJwtClaimRoute</c>; JWT claim routing is only for gateways.</summary>
    private static string? HeaderNameForRoute(string name)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        if (name.StartsWith("@request.auth.claims", StringComparison.Ordinal))
        {
            return $"JWT claim based routing (key: {name}) is only supported for gateway";
        }

        if (PseudoHeaders.Contains(name))
        {
            return null;
        }

        return CommonRules.HeaderName(name);
    }

    private static void ValidateHeaders(Headers? headers, string path, ValidationReport report)
    {
        if (headers is null)
        {
            return;
        }

        if (headers.Request is { } request)
        {
            foreach (var (name, value) in request.Add)
            {
                report.Check($"{path}.request.add.{name}", CommonRules.RequestHeaderToWrite(name) ?? CommonRules.HeaderValue(value));
            }

            foreach (var (name, value) in request.Set)
            {
                report.Check($"{path}.request.set.{name}", CommonRules.RequestHeaderToWrite(name) ?? CommonRules.HeaderValue(value));
            }

            foreach (var name in request.Remove)
            {
                report.Check($"{path}.request.remove", CommonRules.HeaderToModify(name));
            }
        }

        if (headers.Response is { } response)
        {
            foreach (var (name, value) in response.Add)
            {
                report.Check($"{path}.response.add.{name}", CommonRules.HeaderToModify(name) ?? CommonRules.HeaderValue(value));
            }

            foreach (var (name, value) in response.Set)
            {
                report.Check($"{path}.response.set.{name}", CommonRules.HeaderToModify(name) ?? CommonRules.HeaderValue(value));
            }

            foreach (var name in response.Remove)
            {
                report.Check($"{path}.response.remove", CommonRules.HeaderToModify(name));
            }
        }
    }

    private static void ValidateCors(CorsPolicy cors, string path, ValidationReport report)
    {
        for (var i = 0; i < cors.AllowOrigins.Count; i++)
        {
            var origin = cors.AllowOrigins[i];
            var value = origin.Exact ?? origin.Prefix ?? origin.Regex ?? "";
            if (value.Length == 0)
            {
                report.Error($"{path}.allowOrigins[{i}]", $"'{value}' is not a valid match type for CORS allow origins");
            }
            else if (origin.Regex is { } regex)
            {
                report.Check($"{path}.allowOrigins[{i}]", CommonRules.Regex(regex, "corsPolicy.allowOrigins"));
            }
        }

        // Istio's ValidateCORSHTTPHeaderName: "*" or one header name per entry (a comma-joined list is refused).
        foreach (var (field, names) in new[] { ("allowHeaders", cors.AllowHeaders), ("exposeHeaders", cors.ExposeHeaders) })
        {
            foreach (var name in names)
            {
                report.Check($"{path}.{field}", name == "*" ? null : CommonRules.HeaderName(name));
            }
        }

        foreach (var method in cors.AllowMethods)
        {
            report.Error($"{path}.allowMethods", $"\"{method}\" is not a supported HTTP method", !CorsMethods.Contains(method));
        }

        if (cors.MaxAge is { } maxAge)
        {
            report.Check($"{path}.maxAge", CommonRules.Duration(maxAge));
            report.Error($"{path}.maxAge", "max_age duration is accurate only to seconds precision", maxAge.Nanoseconds % 1_000_000_000 != 0);
        }
    }

    private static void ValidateFault(HttpFaultInjection fault, string path, ValidationReport report)
    {
        if (fault.Abort is null && fault.Delay is null)
        {
            report.Error(path, "HTTP fault injection must have an abort and/or a delay");
        }

        if (fault.Abort is { } abort)
        {
            report.Check($"{path}.abort.percentage.value", CommonRules.Percentage(abort.Percentage));
            if (abort.GrpcStatus is { } grpc)
            {
                report.Error($"{path}.abort.grpcStatus",
                    $"gRPC status \"{grpc}\" is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'",
                    !GrpcStatusCodes.TryGetCode(grpc, out _));
            }
            else if (abort.Http2Error is not null)
            {
                report.Error($"{path}.abort.http2Error", "HTTP/2 abort fault injection not supported yet");
            }
            else if (abort.HttpStatus is { } status)
            {
                report.Check($"{path}.abort.httpStatus", HttpStatus(status));
            }
            else
            {
                report.Warning($"{path}.abort", "abort configured, but error type not set");
            }
        }

        if (fault.Delay is { } delay)
        {
            report.Check($"{path}.delay.percentage.value", CommonRules.Percentage(delay.Percentage));
            report.Check($"{path}.delay.percent", CommonRules.Percent(delay.Percent));
            if (delay.FixedDelay is { } fixedDelay)
            {
                report.Check($"{path}.delay.fixedDelay", CommonRules.Duration(fixedDelay));
            }
            else if (delay.ExponentialDelay is { } exponential)
            {
                report.Check($"{path}.delay.exponentialDelay", CommonRules.Duration(exponential));
                report.Error($"{path}.delay.exponentialDelay", "exponentialDelay not supported yet");
            }
        }
    }

    /// <summary>Istio accepts 200-599 for abort and direct response statuses.</summary>
    private static string? HttpStatus(int status) => status is < 200 or > 599 ? $"HTTP status {status} is not in range 200-599" : null;

    private static void ValidateRedirect(HttpRedirect redirect, string path, ValidationReport report)
    {
        if (string.IsNullOrEmpty(redirect.Uri) && string.IsNullOrEmpty(redirect.Authority) && redirect.Port is null &&
            redirect.DerivePort is null && string.IsNullOrEmpty(redirect.Scheme))
        {
            report.Error(path, "redirect must specify URI, authority, scheme, or port");
        }

        if (redirect.RedirectCode != 0)
        {
            if (redirect.RedirectCode is < 300 or > 399)
            {
                report.Error($"{path}.redirectCode", $"{redirect.RedirectCode} is not a valid redirect code, must be 3xx");
            }
            else if (redirect.RedirectCode is not (301 or 302 or 303 or 307 or 308))
            {
                // Istio drops the action for other 3xx codes, which Envoy then refuses; refuse it here instead.
                report.Error($"{path}.redirectCode", $"redirect code {redirect.RedirectCode} is not supported (use 301, 302, 303, 307 or 308)");
            }
        }

        if (!string.IsNullOrEmpty(redirect.Scheme) && redirect.Scheme is not ("http" or "https"))
        {
            report.Error($"{path}.scheme", "invalid redirect scheme, must be \"http\" or \"https\"");
        }

        if (redirect.Port is { } port && port > 0)
        {
            report.Check($"{path}.port", CommonRules.Port(port));
        }
    }

    private static void ValidateRetry(HttpRetry retries, string path, ValidationReport report)
    {
        report.Error($"{path}.attempts", "attempts cannot be negative", retries.Attempts < 0);
        if (retries.Attempts == 0 && (retries.PerTryTimeout is not null || !string.IsNullOrEmpty(retries.RetryOn) || retries.RetryRemoteLocalities is not null))
        {
            report.Error(path, "http retry policy configured when attempts are set to 0 (disabled)");
        }

        report.Check($"{path}.perTryTimeout", CommonRules.Duration(retries.PerTryTimeout));
        if (!string.IsNullOrEmpty(retries.RetryOn))
        {
            foreach (var policy in retries.RetryOn.Split(','))
            {
                var isStatus = int.TryParse(policy, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && HttpStatusCodes.IsKnown(code);
                if (!isStatus && !SupportedRetryOn.Contains(policy))
                {
                    report.Error($"{path}.retryOn", $"\"{policy}\" is not a valid retryOn policy");
                }
            }
        }

        report.Check($"{path}.backoff", CommonRules.Duration(retries.Backoff));
    }

    private static void ValidateRewrite(HttpRewrite rewrite, string path, ValidationReport report)
    {
        if (!string.IsNullOrEmpty(rewrite.Uri) && rewrite.UriRegexRewrite is not null)
        {
            report.Error(path, "rewrite may only contain one of URI or UriRegexRewrite");
        }
        else if (string.IsNullOrEmpty(rewrite.Uri) && rewrite.UriRegexRewrite is null && string.IsNullOrEmpty(rewrite.Authority))
        {
            report.Error(path, "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified");
        }

        if (rewrite.UriRegexRewrite is { } regex)
        {
            if (regex.Match.Length == 0 || regex.Rewrite.Length == 0)
            {
                report.Error($"{path}.uriRegexRewrite", "UriRegexRewrite requires both Rewrite and Match fields to be specified");
            }
            else
            {
                report.Check($"{path}.uriRegexRewrite.match", CommonRules.Regex(regex.Match, "HTTPRewrite.UriRegexRewrite.Match"));
            }
        }
    }

    /// <summary>Istio's <c>validateAuthorityRewrite</c>: the authority may be rewritten in one place only.</summary>
    private static void ValidateAuthorityRewrite(HttpRoute http, string path, ValidationReport report)
    {
        var current = http.Rewrite?.Authority ?? "";
        var request = http.Headers?.Request;
        if (request is null)
        {
            return;
        }

        foreach (var (name, value) in request.Set.Concat(request.Add))
        {
            if (!CommonRules.IsAuthorityHeader(name))
            {
                continue;
            }

            if (current.Length > 0)
            {
                report.Error($"{path}.headers.request", $"authority header cannot be set multiple times: have \"{current}\", attempting to set \"{value}\"");
                return;
            }

            current = value;
        }
    }

    private static void ValidateRouteDestinations(IReadOnlyList<(Destination? Destination, int Weight, Headers? Headers)> destinations, string path, ValidationReport report)
    {
        long total = 0;
        for (var i = 0; i < destinations.Count; i++)
        {
            var (destination, weight, headers) = destinations[i];
            var itemPath = $"{path}[{i}]";
            if (destination is null)
            {
                report.Error($"{itemPath}.destination", "destination is required");
            }

            ValidateHeaders(headers, $"{itemPath}.headers", report);
            foreach (var (field, message) in CommonRules.Destination(destination))
            {
                report.Error($"{itemPath}.destination.{field}", message);
            }

            report.Error($"{itemPath}.weight", $"weight {weight} < 0", weight < 0);
            total += weight;
        }

        report.Error(path, "total destination weight = 0", destinations.Count > 1 && total == 0);
    }

    private static void ValidateTlsRoute(TlsRoute tls, VirtualServiceSpec vs, string path, ValidationReport report)
    {
        report.Error($"{path}.match", "TLS route must have at least one match condition", tls.Match.Count == 0);
        for (var m = 0; m < tls.Match.Count; m++)
        {
            var match = tls.Match[m];
            var matchPath = $"{path}.match[{m}]";
            if (match.SniHosts.Count == 0)
            {
                report.Error($"{matchPath}.sniHosts", "TLS match must have at least one SNI host");
            }

            for (var s = 0; s < match.SniHosts.Count; s++)
            {
                var sni = match.SniHosts[s];
                if (HostNames.ValidateWildcardDomain(sni) is { } error)
                {
                    if (HostNames.IsIpAddress(sni))
                    {
                        report.Warning($"{matchPath}.sniHosts[{s}]", $"using an IP address (\"{sni}\") goes against SNI spec and most clients do not support this");
                    }
                    else
                    {
                        report.Error($"{matchPath}.sniHosts[{s}]", error);
                    }

                    continue;
                }

                var resolved = HostNames.Resolve(sni, report.Resource.Namespace);
                if (!vs.Hosts.Any(h => HostNames.SubsetOf(resolved, HostNames.Resolve(h, report.Resource.Namespace))))
                {
                    report.Error($"{matchPath}.sniHosts[{s}]", $"SNI host \"{sni}\" is not a compatible subset of any of the virtual service hosts: [{string.Join(", ", vs.Hosts)}]");
                }
            }

            ValidateL4Match(match.DestinationSubnets, match.Port, match.SourceLabels, match.Gateways, matchPath, report);
        }

        report.Error($"{path}.route", "TLS route is required", tls.Route.Count == 0);
        ValidateRouteDestinations(tls.Route.Select(r => (r.Destination, r.Weight, (Headers?)null)).ToArray(), $"{path}.route", report);
    }

    private static void ValidateL4Match(IReadOnlyList<string> subnets, int? port, IReadOnlyDictionary<string, string> sourceLabels,
        IReadOnlyList<string> gateways, string path, ValidationReport report)
    {
        for (var i = 0; i < subnets.Count; i++)
        {
            report.Check($"{path}.destinationSubnets[{i}]", CommonRules.IpSubnet(subnets[i]));
        }

        if (port is { } p && p != 0)
        {
            report.Check($"{path}.port", CommonRules.Port(p));
        }

        report.Check($"{path}.sourceLabels", CommonRules.Labels(sourceLabels));
        ValidateGatewayNames(gateways, $"{path}.gateways", report);
    }

    /// <summary>Istio's <c>validateGatewayNames</c>: <c>mesh</c>, <c>namespace/name</c> or a legacy FQDN.</summary>
    private static void ValidateGatewayNames(IReadOnlyList<string> gateways, string path, ValidationReport report)
    {
        foreach (var gateway in gateways)
        {
            var slash = gateway.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                report.Check(path, HostNames.ValidateFqdn(gateway));
                continue;
            }

            var ns = gateway[..slash];
            var name = gateway[(slash + 1)..];
            if (ns.Length == 0 || name.Length == 0)
            {
                report.Error(path, "config namespace and gateway name cannot be empty");
                continue;
            }

            report.Error(path, $"invalid value for namespace: \"{ns}\"", !HostNames.IsDns1123Label(ns));
            report.Error(path, $"invalid value for gateway name: \"{name}\"", !HostNames.IsDns1123Label(name));
        }
    }
}
