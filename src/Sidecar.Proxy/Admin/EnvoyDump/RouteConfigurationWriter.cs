using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// A route table as Envoy's <c>config.route.v3.RouteConfiguration</c>: virtual hosts with Istio's domains and the
/// attempt-count header, routes with their match, action (forward, redirect or direct response), retry policy,
/// fault and CORS per-filter configs, header mutations, decorator and the <c>istio.config</c> metadata naming the
/// VirtualService, the fields <c>istioctl proxy-config routes</c> reads.
/// </summary>
internal static class RouteConfigurationWriter
{
    private const string FaultFilter = "envoy.filters.http.fault";
    private const string CorsFilter = "envoy.filters.http.cors";

    public static void Write(Utf8JsonWriter writer, string? property, RouteTableConfig table, DumpSource source)
    {
        EnvoyJson.StartTyped(writer, property, "envoy.config.route.v3.RouteConfiguration");
        writer.WriteString("name", table.Name);
        writer.WriteStartArray("virtual_hosts");
        foreach (var host in table.VirtualHosts)
        {
            WriteVirtualHost(writer, host, source);
        }

        writer.WriteEndArray();
        writer.WriteBoolean("validate_clusters", false);
        writer.WriteBoolean("ignore_port_in_host_matching", true);
        writer.WriteEndObject();
    }

    private static void WriteVirtualHost(Utf8JsonWriter writer, VirtualHostConfig host, DumpSource source)
    {
        writer.WriteStartObject();
        writer.WriteString("name", host.Name);
        writer.WriteStartArray("domains");
        foreach (var domain in host.Domains)
        {
            writer.WriteStringValue(domain);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("routes");
        foreach (var route in host.Routes)
        {
            WriteRoute(writer, route, source);
        }

        writer.WriteEndArray();
        writer.WriteBoolean("include_request_attempt_count", !source.Config.Mesh.ProxyHeaders.AttemptCountDisabled);
        writer.WriteEndObject();
    }

    private static void WriteRoute(Utf8JsonWriter writer, RouteConfig route, DumpSource source)
    {
        writer.WriteStartObject();
        if (route.Name is not null)
        {
            writer.WriteString("name", route.Name);
        }

        WriteMatch(writer, route.Match);
        if (route.Route is { } action)
        {
            WriteAction(writer, action);
        }
        else if (route.Redirect is { } redirect)
        {
            WriteRedirect(writer, redirect);
        }
        else if (route.DirectResponse is { } direct)
        {
            writer.WriteStartObject("direct_response");
            writer.WriteNumber("status", direct.Status);
            if (direct.Body is not null)
            {
                writer.WriteStartObject("body");
                writer.WriteString("inline_string", direct.Body);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        EnvoyJson.WriteIstioConfigMetadata(writer, route.Origin);
        if (Decorator(route, source) is { } operation)
        {
            writer.WriteStartObject("decorator");
            writer.WriteString("operation", operation);
            writer.WriteEndObject();
        }

        if (route.Fault is not null || route.Cors is not null)
        {
            writer.WriteStartObject("typed_per_filter_config");
            if (route.Fault is { } fault)
            {
                WriteFault(writer, fault);
            }

            if (route.Cors is { } cors)
            {
                WriteCors(writer, cors);
            }

            writer.WriteEndObject();
        }

        HeaderMutationWriter.Write(writer, "request", route.RequestHeaders);
        HeaderMutationWriter.Write(writer, "response", route.ResponseHeaders);
        writer.WriteEndObject();
    }

    private static void WriteMatch(Utf8JsonWriter writer, RouteMatchConfig match)
    {
        writer.WriteStartObject("match");
        switch (match.Path.Kind)
        {
            case PathMatchKind.Prefix:
                writer.WriteString("prefix", match.Path.Value);
                break;
            case PathMatchKind.Exact:
                writer.WriteString("path", match.Path.Value);
                break;
            case PathMatchKind.Regex:
                EnvoyJson.WriteRegex(writer, "safe_regex", match.Path.Value);
                break;
            case PathMatchKind.PathSeparatedPrefix:
                writer.WriteString("path_separated_prefix", match.Path.Value);
                break;
        }

        if (match.Path.IgnoreCase)
        {
            writer.WriteBoolean("case_sensitive", false);
        }

        if (!match.Headers.IsEmpty)
        {
            writer.WriteStartArray("headers");
            foreach (var header in match.Headers)
            {
                writer.WriteStartObject();
                writer.WriteString("name", header.Name);
                if (header.Match is { } value)
                {
                    EnvoyJson.WriteStringMatcher(writer, "string_match", value);
                }
                else
                {
                    writer.WriteBoolean("present_match", header.PresentMatch);
                }

                if (header.InvertMatch)
                {
                    writer.WriteBoolean("invert_match", true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (!match.QueryParameters.IsEmpty)
        {
            writer.WriteStartArray("query_parameters");
            foreach (var parameter in match.QueryParameters)
            {
                writer.WriteStartObject();
                writer.WriteString("name", parameter.Name);
                if (parameter.Match is { } value)
                {
                    EnvoyJson.WriteStringMatcher(writer, "string_match", value);
                }
                else
                {
                    writer.WriteBoolean("present_match", true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteAction(Utf8JsonWriter writer, RouteActionConfig action)
    {
        writer.WriteStartObject("route");
        if (action.Clusters.Count == 1 && action.Clusters[0].RequestHeaders.IsEmpty && action.Clusters[0].ResponseHeaders.IsEmpty)
        {
            writer.WriteString("cluster", action.Clusters[0].Cluster);
        }
        else
        {
            writer.WriteStartObject("weighted_clusters");
            writer.WriteStartArray("clusters");
            foreach (var cluster in action.Clusters)
            {
                writer.WriteStartObject();
                writer.WriteString("name", cluster.Cluster);
                writer.WriteNumber("weight", cluster.Weight);
                HeaderMutationWriter.Write(writer, "request", cluster.RequestHeaders);
                HeaderMutationWriter.Write(writer, "response", cluster.ResponseHeaders);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        if (action.ClusterNotFoundStatus == 500)
        {
            writer.WriteString("cluster_not_found_response_code", "INTERNAL_SERVER_ERROR");
        }

        // Istio writes 0s for "no timeout"; so does Envoy's dump of it.
        EnvoyJson.WriteDuration(writer, "timeout", action.Timeout ?? TimeSpan.Zero);
        if (action.Retry is { } retry)
        {
            WriteRetryPolicy(writer, retry);
        }

        if (!action.HashPolicy.IsEmpty)
        {
            WriteHashPolicy(writer, action.HashPolicy);
        }

        if (action.PrefixRewrite is not null)
        {
            writer.WriteString("prefix_rewrite", action.PrefixRewrite);
        }

        if (action.RegexRewrite is { } regexRewrite)
        {
            writer.WriteStartObject("regex_rewrite");
            EnvoyJson.WriteRegex(writer, "pattern", regexRewrite.Pattern);
            writer.WriteString("substitution", regexRewrite.Substitution);
            writer.WriteEndObject();
        }

        if (action.HostRewrite is not null)
        {
            writer.WriteString("host_rewrite_literal", action.HostRewrite);
        }

        if (!action.Mirrors.IsEmpty)
        {
            writer.WriteStartArray("request_mirror_policies");
            foreach (var mirror in action.Mirrors)
            {
                writer.WriteStartObject();
                writer.WriteString("cluster", mirror.Cluster);
                writer.WriteStartObject("runtime_fraction");
                EnvoyJson.WriteFractionalPercent(writer, "default_value", mirror.Fraction);
                writer.WriteEndObject();
                writer.WriteBoolean("trace_sampled", false);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (action.AllowUpgrades)
        {
            writer.WriteStartArray("upgrade_configs");
            writer.WriteStartObject();
            writer.WriteString("upgrade_type", "websocket");
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        // Istio's max_grpc_timeout: a gRPC call's grpc-timeout bounds it, capped by the route timeout.
        writer.WriteStartObject("max_stream_duration");
        EnvoyJson.WriteDuration(writer, "max_stream_duration", action.Timeout ?? TimeSpan.Zero);
        EnvoyJson.WriteDuration(writer, "grpc_timeout_header_max", action.Timeout ?? TimeSpan.Zero);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteRetryPolicy(Utf8JsonWriter writer, RetryPolicyConfig retry)
    {
        writer.WriteStartObject("retry_policy");
        writer.WriteString("retry_on", RetryOnNames.Format(retry.RetryOn));
        writer.WriteNumber("num_retries", retry.NumRetries);
        if (retry.PerTryTimeout is { } perTry)
        {
            EnvoyJson.WriteDuration(writer, "per_try_timeout", perTry);
        }

        if (retry.RetryOtherHosts)
        {
            writer.WriteStartArray("retry_host_predicate");
            EnvoyJson.WriteNamedEmpty(writer, "envoy.retry_host_predicates.previous_hosts", "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate");
            writer.WriteEndArray();
        }

        if (retry.RetryOtherPriorities)
        {
            writer.WriteStartObject("retry_priority");
            writer.WriteString("name", "envoy.retry_priorities.previous_priorities");
            EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig");
            writer.WriteNumber("update_frequency", 2);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteString("host_selection_retry_max_attempts", retry.HostSelectionRetryMaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!retry.RetriableStatusCodes.IsEmpty)
        {
            writer.WriteStartArray("retriable_status_codes");
            foreach (var code in retry.RetriableStatusCodes)
            {
                writer.WriteNumberValue(code);
            }

            writer.WriteEndArray();
        }

        writer.WriteStartObject("retry_back_off");
        EnvoyJson.WriteDuration(writer, "base_interval", retry.BackoffBaseInterval);
        EnvoyJson.WriteDuration(writer, "max_interval", retry.EffectiveBackoffMax);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteHashPolicy(Utf8JsonWriter writer, EquatableArray<HashPolicyConfig> policies)
    {
        writer.WriteStartArray("hash_policy");
        foreach (var policy in policies)
        {
            writer.WriteStartObject();
            switch (policy.Kind)
            {
                case HashPolicyKind.Header:
                    writer.WriteStartObject("header");
                    writer.WriteString("header_name", policy.Name);
                    writer.WriteEndObject();
                    break;
                case HashPolicyKind.Cookie:
                    writer.WriteStartObject("cookie");
                    writer.WriteString("name", policy.Name);
                    if (policy.CookieTtl is { } ttl)
                    {
                        EnvoyJson.WriteDuration(writer, "ttl", ttl);
                    }

                    if (policy.CookiePath is not null)
                    {
                        writer.WriteString("path", policy.CookiePath);
                    }

                    writer.WriteEndObject();
                    break;
                case HashPolicyKind.SourceIp:
                    writer.WriteStartObject("connection_properties");
                    writer.WriteBoolean("source_ip", true);
                    writer.WriteEndObject();
                    break;
                case HashPolicyKind.QueryParameter:
                    writer.WriteStartObject("query_parameter");
                    writer.WriteString("name", policy.Name);
                    writer.WriteEndObject();
                    break;
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteRedirect(Utf8JsonWriter writer, RedirectConfig redirect)
    {
        writer.WriteStartObject("redirect");
        if (redirect.Scheme is not null)
        {
            writer.WriteString("scheme_redirect", redirect.Scheme);
        }

        if (redirect.Host is not null)
        {
            writer.WriteString("host_redirect", redirect.Host);
        }

        if (redirect.Port is { } port)
        {
            writer.WriteNumber("port_redirect", port);
        }

        if (redirect.PathRedirect is not null)
        {
            writer.WriteString("path_redirect", redirect.PathRedirect);
        }

        if (redirect.PrefixRewrite is not null)
        {
            writer.WriteString("prefix_rewrite", redirect.PrefixRewrite);
        }

        var code = redirect.ResponseCode switch
        {
            302 => "FOUND",
            303 => "SEE_OTHER",
            307 => "TEMPORARY_REDIRECT",
            308 => "PERMANENT_REDIRECT",
            _ => null,
        };
        if (code is not null)
        {
            writer.WriteString("response_code", code);
        }

        if (redirect.StripQuery)
        {
            writer.WriteBoolean("strip_query", true);
        }

        writer.WriteEndObject();
    }

    private static void WriteFault(Utf8JsonWriter writer, FaultConfig fault)
    {
        EnvoyJson.StartTyped(writer, FaultFilter, "envoy.extensions.filters.http.fault.v3.HTTPFault");
        if (fault.Delay is { } delay)
        {
            writer.WriteStartObject("delay");
            EnvoyJson.WriteDuration(writer, "fixed_delay", delay.FixedDelay);
            EnvoyJson.WriteFractionalPercent(writer, "percentage", delay.Percentage);
            writer.WriteEndObject();
        }

        if (fault.Abort is { } abort)
        {
            writer.WriteStartObject("abort");
            if (abort.GrpcStatus is { } grpc)
            {
                writer.WriteNumber("grpc_status", grpc);
            }
            else
            {
                writer.WriteNumber("http_status", abort.HttpStatus ?? 200);
            }

            EnvoyJson.WriteFractionalPercent(writer, "percentage", abort.Percentage);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteCors(Utf8JsonWriter writer, CorsPolicyConfig cors)
    {
        EnvoyJson.StartTyped(writer, CorsFilter, "envoy.extensions.filters.http.cors.v3.CorsPolicy");
        writer.WriteStartArray("allow_origin_string_match");
        foreach (var origin in cors.AllowOrigins)
        {
            EnvoyJson.WriteStringMatcher(writer, null, origin);
        }

        writer.WriteEndArray();
        WriteNonEmpty(writer, "allow_methods", cors.AllowMethods);
        WriteNonEmpty(writer, "allow_headers", cors.AllowHeaders);
        WriteNonEmpty(writer, "expose_headers", cors.ExposeHeaders);
        WriteNonEmpty(writer, "max_age", cors.MaxAge);
        writer.WriteBoolean("allow_credentials", cors.AllowCredentials);
        writer.WriteBoolean("forward_not_matching_preflights", cors.ForwardNotMatchingPreflights);
        writer.WriteEndObject();
    }

    private static void WriteNonEmpty(Utf8JsonWriter writer, string property, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(property, value);
        }
    }

    /// <summary>Istio's route decorator, the span name: <c>host:port/*</c> of the route's (first) destination service.</summary>
    private static string? Decorator(RouteConfig route, DumpSource source)
    {
        if (route.Route is not { Clusters: { IsEmpty: false } clusters })
        {
            return null;
        }

        return source.ServiceOf(clusters[0].Cluster) is { } service ? $"{service.Host}:{service.Port}/*" : null;
    }
}
