using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Security;
using Sidecar.Istio.Validation;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Security;

/// <summary>
/// Picks the AuthorizationPolicies that apply to this workload (Istio's <c>ListAuthorizationPolicies</c>: the root
/// namespace's without selector, the workload namespace's without selector, and those whose selector matches the
/// workload's labels) and turns each rule into attribute matches in Istio's vocabulary for the data plane to compile.
/// Policies with <c>targetRefs</c> bind to gateways and waypoints, not sidecars, and are left out.
/// </summary>
internal static class AuthorizationPolicyTranslator
{
    /// <summary>The policies, and for CUSTOM ones the provider each names (by policy name).</summary>
    public static (List<AuthorizationPolicyConfig> Policies, Dictionary<string, string> CustomProviders) Translate(PushContext push)
    {
        var result = new List<AuthorizationPolicyConfig>();
        var customProviders = new Dictionary<string, string>(StringComparer.Ordinal);
        var bundle = new TrustDomainBundle(push.Mesh.TrustDomains);
        foreach (var resource in push.Resources.Where(r => r.Kind == ResourceKind.AuthorizationPolicy).OrderBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            var spec = (AuthorizationPolicySpec)resource.Spec;
            if (spec.TargetRefs.Count > 0)
            {
                push.Warn(resource, "AuthorizationPolicy targetRefs bind to gateways and waypoints; a sidecar ignores this policy");
                continue;
            }

            if (!AppliesTo(push, resource.Namespace, spec.Selector))
            {
                continue;
            }

            // A dry-run policy is evaluated in shadow mode: Envoy records what it would have decided, never enforces it.
            if (resource.Metadata.Annotations.TryGetValue(SecurityValidator.DryRunAnnotation, out var dryRun) && SecurityValidator.ParseGoBool(dryRun) == true)
            {
                push.Warn(resource, $"{SecurityValidator.DryRunAnnotation}: the policy is not enforced (Envoy's shadow rules); this sidecar does not record its shadow decisions");
                continue;
            }

            var action = spec.Action switch
            {
                "DENY" => AuthorizationAction.Deny,
                "AUDIT" => AuthorizationAction.Audit,
                "CUSTOM" => AuthorizationAction.Custom,
                _ => AuthorizationAction.Allow,
            };
            var name = $"{resource.Namespace}/{resource.Name}";
            if (action == AuthorizationAction.Custom)
            {
                customProviders[name] = spec.ProviderName ?? "";
            }

            result.Add(new AuthorizationPolicyConfig
            {
                Name = name,
                Action = action,
                Rules = (spec.Rules ?? []).Select(r => Rule(r, push.Mesh.TrustDomain, bundle)).ToEquatableArray(),
            });
        }

        return (result, customProviders);
    }

    /// <summary>Istio's workload policy selection (AuthorizationPolicy, RequestAuthentication): the policies of the
    /// workload's namespace and of the root namespace, without a selector or with one the workload's labels match (a
    /// root-namespace policy with a selector applies to matching workloads in every namespace).</summary>
    public static bool AppliesTo(PushContext push, string policyNamespace, IReadOnlyDictionary<string, string>? selector) =>
        (policyNamespace == push.Workload.Namespace || policyNamespace == push.Mesh.RootNamespace)
        && (selector is not { Count: > 0 } || push.Workload.Labels.IsSupersetOf(Labels.From(selector)));

    private static AuthorizationRuleConfig Rule(AuthorizationRule rule, string trustDomain, TrustDomainBundle bundle) => new()
    {
        From = (rule.From ?? []).Where(s => s is not null).Select(s => Source(s!, trustDomain, bundle)).ToEquatableArray(),
        To = (rule.To ?? []).Where(o => o is not null).Select(o => Operation(o!)).ToEquatableArray(),
        When = rule.When.Select(c => c.Key == "source.principal"
            ? new AttributeMatchConfig(c.Key, bundle.Expand(c.Values).ToEquatableArray(), bundle.Expand(c.NotValues).ToEquatableArray())
            : new AttributeMatchConfig(c.Key, c.Values.ToEquatableArray(), c.NotValues.ToEquatableArray())).ToEquatableArray(),
    };

    private static AttributeClauseConfig Source(AuthorizationSource source, string trustDomain, TrustDomainBundle bundle)
    {
        var matches = new List<AttributeMatchConfig>();
        Add(matches, "source.principal", source.Principals is null ? null : bundle.Expand(source.Principals), source.NotPrincipals is null ? null : bundle.Expand(source.NotPrincipals));
        // serviceAccounts "ns/name" is a principal in the workload's trust domain.
        Add(matches, "source.principal", ServiceAccountPrincipals(source.ServiceAccounts, trustDomain), ServiceAccountPrincipals(source.NotServiceAccounts, trustDomain));
        Add(matches, "request.auth.principal", source.RequestPrincipals, source.NotRequestPrincipals);
        Add(matches, "source.namespace", source.Namespaces, source.NotNamespaces);
        // The trust domain of the peer certificate's identity, with the same exact/prefix/suffix patterns.
        Add(matches, "source.trustDomain", source.TrustDomains, source.NotTrustDomains);
        Add(matches, "source.ip", source.IpBlocks, source.NotIpBlocks);
        Add(matches, "remote.ip", source.RemoteIpBlocks, source.NotRemoteIpBlocks);
        return new AttributeClauseConfig(matches.ToEquatableArray());
    }

    private static AttributeClauseConfig Operation(AuthorizationOperation operation)
    {
        var matches = new List<AttributeMatchConfig>();
        Add(matches, "request.host", operation.Hosts, operation.NotHosts);
        Add(matches, "destination.port", operation.Ports, operation.NotPorts);
        Add(matches, "request.method", operation.Methods, operation.NotMethods);
        Add(matches, "request.path", operation.Paths, operation.NotPaths);
        return new AttributeClauseConfig(matches.ToEquatableArray());
    }

    private static List<string>? ServiceAccountPrincipals(IReadOnlyList<string>? accounts, string trustDomain) =>
        accounts?.Select(a => a.Split('/', 2)).Where(p => p.Length == 2).Select(p => $"{trustDomain}/ns/{p[0]}/sa/{p[1]}").ToList();

    private static void Add(List<AttributeMatchConfig> matches, string attribute, IReadOnlyList<string>? values, IReadOnlyList<string>? notValues)
    {
        if (values is { Count: > 0 } || notValues is { Count: > 0 })
        {
            matches.Add(new AttributeMatchConfig(attribute, (values ?? []).ToEquatableArray(), (notValues ?? []).ToEquatableArray()));
        }
    }
}
