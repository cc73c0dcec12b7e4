using System.Globalization;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Security;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's <c>ValidatePeerAuthentication</c>, <c>ValidateRequestAuthentication</c> and <c>ValidateAuthorizationPolicy</c> rules.</summary>
internal static class SecurityValidator
{
    private static readonly string[] AllowedTargetKinds = ["Service", "ServiceEntry", "Gateway", "GatewayClass"];

    public static void ValidatePeerAuthentication(PeerAuthenticationSpec pa, ValidationReport report)
    {
        var emptySelector = pa.Selector is null || pa.Selector.Count == 0;
        report.Error("spec.portLevelMtls", "mesh/namespace peer authentication cannot have port level mTLS", emptySelector && pa.PortLevelMtls is { Count: > 0 });
        report.Error("spec.portLevelMtls", "port level mTLS, if defined, must have at least one element", pa.PortLevelMtls is { Count: 0 });
        foreach (var port in pa.PortLevelMtls?.Keys ?? Enumerable.Empty<int>())
        {
            report.Error($"spec.portLevelMtls.{port}", "port must be in range 1..65535", port is <= 0 or > 65535);
        }

        ValidateSelector(pa.Selector, "spec.selector", report);
    }

    /// <summary>Istio's <c>ValidateRequestAuthentication</c> and <c>validateJwtRule</c>.</summary>
    /// <summary>The <c>istio.io/dry-run</c> annotation key (a policy evaluated in shadow mode, never enforced).</summary>
    public const string DryRunAnnotation = "istio.io/dry-run";

    /// <summary>Istio's <c>checkDryRunAnnotation</c>: a Go boolean, and only on ALLOW and DENY policies.</summary>
    public static void ValidateDryRun(ResourceMetadata metadata, AuthorizationPolicySpec ap, ValidationReport report)
    {
        if (!metadata.Annotations.TryGetValue(DryRunAnnotation, out var value))
        {
            return;
        }

        if (ap.Action is not ("ALLOW" or "DENY"))
        {
            report.Error($"metadata.annotations[{DryRunAnnotation}]", $"the annotation {DryRunAnnotation} currently only supports action ALLOW/DENY, found action {ap.Action}");
        }
        else if (ParseGoBool(value) is null)
        {
            report.Error($"metadata.annotations[{DryRunAnnotation}]", $"invalid value {value} for annotation {DryRunAnnotation}: not a boolean");
        }
    }

    /// <summary>Go's <c>strconv.ParseBool</c>, which Istio reads boolean annotations with.</summary>
    public static bool? ParseGoBool(string value) => value switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => null,
    };

    public static void ValidateRequestAuthentication(RequestAuthenticationSpec ra, ValidationReport report)
    {
        report.Error("spec", "only one of targetRefs or workloadSelector can be set", ra.Selector is not null && ra.TargetRefs.Count > 0);
        ValidateSelector(ra.Selector, "spec.selector", report);
        for (var i = 0; i < ra.JwtRules.Count; i++)
        {
            var rule = ra.JwtRules[i];
            var path = $"spec.jwtRules[{i}]";
            // Istio 1.27+: a rule may leave the issuer out when it names where the keys are.
            report.Error($"{path}.issuer", "issuer or jwksUri must be non-empty string", rule.Issuer.Length == 0 && string.IsNullOrEmpty(rule.JwksUri));
            report.Error($"{path}.audiences", "audience must be non-empty string", rule.Audiences.Any(a => a.Length == 0));
            if (!string.IsNullOrEmpty(rule.JwksUri))
            {
                var valid = Uri.TryCreate(rule.JwksUri, UriKind.Absolute, out var uri);
                report.Error($"{path}.jwksUri", $"URI scheme {(valid ? uri!.Scheme : "")} is not supported (jwksUri must be an http or https URL)", !valid || uri!.Scheme is not ("http" or "https"));
            }

            if (!string.IsNullOrEmpty(rule.Jwks))
            {
                report.Error($"{path}.jwks", "jwks parse error: not a JSON Web Key Set (an object with a keys array)", !IsJwks(rule.Jwks));
            }

            report.Error($"{path}.fromHeaders", "location header name must be non-empty string", rule.FromHeaders.Any(h => h.Name.Length == 0));
            report.Error($"{path}.fromParams", "location query must be non-empty string", rule.FromParams.Any(p => p.Length == 0));
            report.Error($"{path}.fromCookies", "cookie name must be non-empty string", rule.FromCookies.Any(c => c.Length == 0));
            foreach (var claim in rule.OutputClaimToHeaders)
            {
                if (claim.Header.Length == 0 || claim.Claim.Length == 0)
                {
                    report.Error($"{path}.outputClaimToHeaders", "outputClaimToHeaders header and claim value must be non-empty string");
                    continue;
                }

                report.Check($"{path}.outputClaimToHeaders", CommonRules.RequestHeaderToWrite(claim.Header));
            }

            if (rule.Timeout is { } timeout)
            {
                report.Check($"{path}.timeout", CommonRules.Duration(timeout));
            }
        }
    }

    public static void ValidateAuthorizationPolicy(AuthorizationPolicySpec ap, ValidationReport report)
    {
        report.Error("spec", "only one of targetRefs or workloadSelector can be set", ap.Selector is not null && ap.TargetRefs.Count > 0);
        ValidateSelector(ap.Selector, "spec.selector", report);
        for (var i = 0; i < ap.TargetRefs.Count; i++)
        {
            var target = ap.TargetRefs[i];
            var path = $"spec.targetRefs[{i}]";
            report.Error($"{path}.name", "targetRef name must be set", string.IsNullOrEmpty(target.Name));
            report.Error($"{path}.namespace", "targetRef namespace must not be set; cross namespace referencing is not supported", !string.IsNullOrEmpty(target.Namespace));
            report.Error($"{path}.kind", $"targetRef must be to one of {string.Join(", ", AllowedTargetKinds)} but was {target.Group}/{target.Kind}",
                Array.IndexOf(AllowedTargetKinds, target.Kind) < 0);
        }

        if (ap.Action == "CUSTOM")
        {
            if (ap.Rules is null)
            {
                report.Error("spec.rules", "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request");
            }
            else if (string.IsNullOrEmpty(ap.ProviderName))
            {
                report.Error("spec.provider.name", "`provider.name` must not be empty");
            }
        }

        report.Error("spec.provider", $"`provider` must not be with non CUSTOM action, found {ap.Action}", ap.HasProvider && ap.Action != "CUSTOM");
        report.Error("spec.rules", "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request",
            ap.Action == "DENY" && ap.Rules is null);

        var rules = ap.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            ValidateRule(rules[i], ap.Action, $"spec.rules[{i}]", i, report);
        }
    }

    private static void ValidateRule(AuthorizationRule rule, string action, string path, int index, ValidationReport report)
    {
        report.Error($"{path}.from", $"`from` must not be empty, found at rule {index}", rule.From is { Count: 0 });
        for (var f = 0; f < (rule.From?.Count ?? 0); f++)
        {
            var source = rule.From![f];
            var sourcePath = $"{path}.from[{f}].source";
            if (source is null)
            {
                report.Error(sourcePath, $"`from.source` must not be nil, found at rule {index}");
                continue;
            }

            var all = new[]
            {
                ("principals", source.Principals), ("notPrincipals", source.NotPrincipals), ("requestPrincipals", source.RequestPrincipals),
                ("notRequestPrincipals", source.NotRequestPrincipals), ("namespaces", source.Namespaces), ("notNamespaces", source.NotNamespaces),
                ("serviceAccounts", source.ServiceAccounts), ("notServiceAccounts", source.NotServiceAccounts), ("ipBlocks", source.IpBlocks),
                ("notIpBlocks", source.NotIpBlocks), ("remoteIpBlocks", source.RemoteIpBlocks), ("notRemoteIpBlocks", source.NotRemoteIpBlocks),
                ("trustDomains", source.TrustDomains), ("notTrustDomains", source.NotTrustDomains),
            };
            report.Error(sourcePath, $"`from.source` must not be empty, found at rule {index}", all.All(x => x.Item2 is null or { Count: 0 }));
            report.Error(sourcePath, $"cannot set serviceAccounts with namespaces or principals, found at rule {index}",
                Count(source.Principals, source.NotPrincipals, source.Namespaces, source.NotNamespaces) > 0 && Count(source.ServiceAccounts, source.NotServiceAccounts) > 0);
            foreach (var (field, values) in all)
            {
                CheckEmptyValues(values, $"{sourcePath}.{field}", report);
            }

            foreach (var (field, values) in all.Where(x => x.Item1.Contains("IpBlocks", StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var value in values ?? [])
                {
                    report.Check($"{sourcePath}.{field}", CommonRules.IpSubnet(value));
                }
            }

            foreach (var (field, values) in new[] { ("serviceAccounts", source.ServiceAccounts), ("notServiceAccounts", source.NotServiceAccounts) })
            {
                foreach (var value in values ?? [])
                {
                    report.Error($"{sourcePath}.{field}", $"service account \"{value}\" must be of the form namespace/name", value.Count(c => c == '/') != 1);
                }
            }
        }

        report.Error($"{path}.to", $"`to` must not be empty, found at rule {index}", rule.To is { Count: 0 });
        for (var t = 0; t < (rule.To?.Count ?? 0); t++)
        {
            var operation = rule.To![t];
            var operationPath = $"{path}.to[{t}].operation";
            if (operation is null)
            {
                report.Error(operationPath, $"`to.operation` must not be nil, found at rule {index}");
                continue;
            }

            var all = new[]
            {
                ("hosts", operation.Hosts), ("notHosts", operation.NotHosts), ("ports", operation.Ports), ("notPorts", operation.NotPorts),
                ("methods", operation.Methods), ("notMethods", operation.NotMethods), ("paths", operation.Paths), ("notPaths", operation.NotPaths),
            };
            report.Error(operationPath, $"`to.operation` must not be empty, found at rule {index}", all.All(x => x.Item2 is null or { Count: 0 }));
            foreach (var (field, values) in all)
            {
                CheckEmptyValues(values, $"{operationPath}.{field}", report);
            }

            foreach (var (field, values) in new[] { ("paths", operation.Paths), ("notPaths", operation.NotPaths) })
            {
                foreach (var value in values ?? [])
                {
                    report.Check($"{operationPath}.{field}", PathTemplate(value));
                }
            }

            foreach (var (field, values) in new[] { ("ports", operation.Ports), ("notPorts", operation.NotPorts) })
            {
                foreach (var value in values ?? [])
                {
                    // Istio's security.ValidatePorts: an unsigned number up to 65535 (0 included).
                    var valid = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535;
                    report.Error($"{operationPath}.{field}", $"invalid port: {value}", !valid && value.Length > 0);
                }
            }
        }

        for (var w = 0; w < rule.When.Count; w++)
        {
            var condition = rule.When[w];
            var whenPath = $"{path}.when[{w}]";
            if (condition.Key.Length == 0)
            {
                report.Error($"{whenPath}.key", "`key` must not be empty");
                continue;
            }

            if (condition.Values.Count == 0 && condition.NotValues.Count == 0)
            {
                report.Error(whenPath, $"at least one of `values` or `notValues` must be set for key {condition.Key}");
                continue;
            }

            if (!IsKnownAttribute(condition.Key))
            {
                report.Error($"{whenPath}.key", $"unknown attribute: {condition.Key}");
                continue;
            }

            report.Check($"{whenPath}.values", AttributeValues(condition.Key, condition.Values));
            report.Check($"{whenPath}.notValues", AttributeValues(condition.Key, condition.NotValues));
            if (action == "CUSTOM" && (condition.Key is "source.namespace" or "source.serviceAccount" or "source.principal" || condition.Key.StartsWith("request.auth.", StringComparison.Ordinal)))
            {
                report.Error($"{whenPath}.key", $"{condition.Key} is currently not supported with CUSTOM action");
            }
        }
    }

    /// <summary>
    /// Istio's <c>CheckValidPathTemplate</c> for a path using the 1.22 template operators: only <c>{*}</c> and
    /// <c>{**}</c>, no bare <c>*</c> beside them, and <c>{**}</c> as the last operator.
    /// </summary>
    private static string? PathTemplate(string path)
    {
        if (!path.Contains("{*}", StringComparison.Ordinal) && !path.Contains("{**}", StringComparison.Ordinal))
        {
            return null;
        }

        var operators = path.Replace("{**}", "\u0002", StringComparison.Ordinal).Replace("{*}", "\u0001", StringComparison.Ordinal);
        if (operators.IndexOfAny(['*', '{', '}']) >= 0)
        {
            return $"invalid or unsupported path {path}, found in paths. Contains '{{', '}}' or '*' outside the {{*}} and {{**}} operators";
        }

        var globEverything = operators.IndexOf('\u0002', StringComparison.Ordinal);
        return globEverything >= 0 && operators.IndexOfAny(['\u0001', '\u0002'], globEverything + 1) >= 0
            ? $"invalid or unsupported path {path}, found in paths. {{**}} is not the last operator"
            : null;
    }

    /// <summary>Istio's <c>security.ValidateAttribute</c>: the condition keys Istio knows.</summary>
    private static bool IsKnownAttribute(string key)
    {
        bool IsHeaderKey() => key.StartsWith("request.headers[", StringComparison.Ordinal) && key.EndsWith(']') && key.Length > "request.headers[]".Length;
        bool IsClaimKey() => key.StartsWith("request.auth.claims[", StringComparison.Ordinal) && key.EndsWith(']') && key.Length > "request.auth.claims[]".Length;
        return IsHeaderKey() || IsClaimKey() || key.StartsWith("experimental.envoy.filters.", StringComparison.Ordinal) || key is "source.ip" or "remote.ip"
            or "source.namespace" or "source.principal" or "source.serviceAccount" or "request.auth.principal" or "request.auth.audiences"
            or "request.auth.presenter" or "destination.ip" or "destination.port" or "connection.sni";
    }

    /// <summary>Istio's <c>security.ValidateAttribute</c>: values of the form the key takes.</summary>
    private static string? AttributeValues(string key, IReadOnlyList<string> values)
    {
        foreach (var value in values)
        {
            if (key is "source.ip" or "remote.ip" or "destination.ip" && CommonRules.IpSubnet(value) is { } ipError)
            {
                return ipError;
            }

            if (key == "destination.port" && !(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535))
            {
                return $"invalid port: {value}";
            }
        }

        return null;
    }

    private static void ValidateSelector(IReadOnlyDictionary<string, string>? selector, string path, ValidationReport report)
    {
        report.Check($"{path}.matchLabels", CommonRules.Selector(selector));
        if (selector is { Count: 0 })
        {
            report.Warning(path, "workload selector specified without labels");
        }
    }

    private static void CheckEmptyValues(IReadOnlyList<string>? values, string path, ValidationReport report)
    {
        foreach (var value in values ?? [])
        {
            if (value.Length == 0)
            {
                report.Error(path, "empty value not allowed");
                return;
            }
        }
    }

    private static int Count(params IReadOnlyList<string>?[] lists) => lists.Sum(l => l?.Count ?? 0);

    private static bool IsJwks(string jwks)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(jwks);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("keys", out var keys)
                && keys.ValueKind == System.Text.Json.JsonValueKind.Array;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
