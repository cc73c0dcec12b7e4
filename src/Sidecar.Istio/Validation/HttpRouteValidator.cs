using Sidecar.Istio.Resources.GatewayApi;

namespace Sidecar.Istio.Validation;

/// <summary>
/// What the Gateway API's schema and istiod require of an <c>HTTPRoute</c> attached to a service before it could be
/// programmed: regular expressions the proxy can run (RE2), absolute paths, and at most 16 rules and 64 matches per
/// rule, as the CRD limits them.
/// </summary>
internal static class HttpRouteValidator
{
    public static void Validate(HttpRouteSpec spec, ValidationReport report)
    {
        // A route only for gateways never reaches a sidecar: what it holds is the gateway's to judge.
        if (!spec.ParentRefs.Any(p => p.IsService || p.IsServiceEntry))
        {
            return;
        }

        if (spec.Rules.Count > 16)
        {
            report.Error("spec.rules", $"at most 16 rules are allowed, got {spec.Rules.Count}");
        }

        for (var r = 0; r < spec.Rules.Count; r++)
        {
            var rule = spec.Rules[r];
            if (rule.Matches.Count > 64)
            {
                report.Error($"spec.rules[{r}].matches", $"at most 64 matches are allowed, got {rule.Matches.Count}");
            }

            for (var m = 0; m < rule.Matches.Count; m++)
            {
                var match = rule.Matches[m];
                var path = $"spec.rules[{r}].matches[{m}]";
                if (match.Path is { Type: "RegularExpression", Value: var regex })
                {
                    report.Check($"{path}.path.value", CommonRules.Regex(regex, "path"));
                }
                else if (match.Path is { Value: var value } && !value.StartsWith('/'))
                {
                    report.Error($"{path}.path.value", $"\"{value}\" must be an absolute path (start with /)");
                }

                CheckValues(match.Headers, $"{path}.headers", report);
                CheckValues(match.QueryParams, $"{path}.queryParams", report);
            }
        }
    }

    private static void CheckValues(IReadOnlyList<HttpValueMatch> matches, string path, ValidationReport report)
    {
        for (var i = 0; i < matches.Count; i++)
        {
            if (matches[i] is { Type: "RegularExpression", Value: var regex })
            {
                report.Check($"{path}[{i}].value", CommonRules.Regex(regex, matches[i].Name));
            }
        }
    }
}
