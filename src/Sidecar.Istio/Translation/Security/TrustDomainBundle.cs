namespace Sidecar.Istio.Translation.Security;

/// <summary>
/// istiod's trust domain bundle (pkg/config/security/trustdomain): an AuthorizationPolicy principal written for the
/// mesh's trust domain, one of its <c>trustDomainAliases</c>, or <c>cluster.local</c> (which stands for the local
/// trust domain) is expanded to the same identity in each of them, so a policy keeps matching across a trust domain
/// migration. A principal that does not name its trust domain (<c>*/ns/foo/sa/bar</c>, or not five segments) or
/// names another one is kept as written.
/// </summary>
internal sealed class TrustDomainBundle(IReadOnlyList<string> trustDomains)
{
    private const string ClusterLocal = "cluster.local";

    public List<string> Expand(IReadOnlyList<string> principals)
    {
        var expanded = new List<string>();
        foreach (var principal in principals)
        {
            var parts = principal.Split('/');
            if (parts.Length != 5 || parts[0] == "*")
            {
                expanded.Add(principal);
                continue;
            }

            var domain = parts[0];
            if (domain != ClusterLocal && !trustDomains.Any(td => Matches(domain, td)))
            {
                expanded.Add(principal);
                continue;
            }

            foreach (var td in trustDomains)
            {
                // A principal whose trust domain is a "*suffix" pattern matching this one stays as written.
                var candidate = domain.StartsWith('*') && td.EndsWith(domain[1..], StringComparison.Ordinal)
                    ? principal
                    : string.Join('/', [td, .. parts[1..]]);
                if (!expanded.Contains(candidate))
                {
                    expanded.Add(candidate);
                }
            }
        }

        return expanded;
    }

    // istiod's stringMatch: exact, "*", "prefix*" or "*suffix" (the pattern here is the principal's trust domain's counterpart).
    private static bool Matches(string value, string pattern) =>
        value == pattern || pattern == "*"
        || (pattern.EndsWith('*') && value.StartsWith(pattern[..^1], StringComparison.Ordinal))
        || (pattern.StartsWith('*') && value.EndsWith(pattern[1..], StringComparison.Ordinal));
}
