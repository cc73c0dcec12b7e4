using Sidecar.Model;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>An Istio rule compiled: any <c>from</c> clause, any <c>to</c> clause, all <c>when</c> conditions.</summary>
internal sealed class CompiledRule
{
    private readonly AttributeMatcher[][] _from;
    private readonly AttributeMatcher[][] _to;
    private readonly AttributeMatcher[] _when;

    public CompiledRule(AuthorizationRuleConfig config)
    {
        _from = Clauses(config.From);
        _to = Clauses(config.To);
        _when = Compile(config.When);
    }

    /// <param name="request">The connection or request.</param>
    /// <param name="ignoreHttpOnlyFields">For TCP under a DENY policy, Istio drops HTTP-only fields from the rule (more
    /// restrictive); under ALLOW/AUDIT a rule with HTTP-only fields never matches TCP.</param>
    public bool Matches(in AuthorizationRequest request, bool ignoreHttpOnlyFields) =>
        AnyClause(_from, request, ignoreHttpOnlyFields) && AnyClause(_to, request, ignoreHttpOnlyFields) && All(_when, request, ignoreHttpOnlyFields);

    private static bool AnyClause(AttributeMatcher[][] clauses, in AuthorizationRequest request, bool ignoreHttpOnlyFields)
    {
        if (clauses.Length == 0)
        {
            return true;
        }

        foreach (var clause in clauses)
        {
            if (All(clause, request, ignoreHttpOnlyFields))
            {
                return true;
            }
        }

        return false;
    }

    private static bool All(AttributeMatcher[] matchers, in AuthorizationRequest request, bool ignoreHttpOnlyFields)
    {
        foreach (var matcher in matchers)
        {
            if (request.Http is null && matcher.IsHttpOnly)
            {
                if (ignoreHttpOnlyFields)
                {
                    continue;
                }

                return false;
            }

            if (!matcher.Matches(request))
            {
                return false;
            }
        }

        return true;
    }

    private static AttributeMatcher[][] Clauses(EquatableArray<AttributeClauseConfig> clauses)
    {
        var result = new AttributeMatcher[clauses.Count][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Compile(clauses[i].Matches);
        }

        return result;
    }

    private static AttributeMatcher[] Compile(EquatableArray<AttributeMatchConfig> matches)
    {
        var result = new AttributeMatcher[matches.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = AttributeMatcher.Compile(matches[i]);
        }

        return result;
    }
}
