namespace Sidecar.Init.Rules;

/// <summary>
/// Single iptables commands derived from a rule set: the checks that tell whether the rules are in place, the
/// deletions that undo them, and the temporary guardrails that hold traffic while rules are replaced. Each follows
/// istio-iptables (builder.CheckRules, UndoRules, buildCleanupRules, buildGuardrails).
/// </summary>
internal static class RuleCommands
{
    /// <summary>"-C" for every rule, in order.</summary>
    public static IReadOnlyList<string[]> Check(IReadOnlyList<Rule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var commands = new List<string[]>(rules.Count);
        foreach (var rule in rules)
        {
            commands.Add(rule.Command("-C"));
        }
        return commands;
    }

    /// <summary>
    /// Undoes a rule set, latest rule first: "-D" for each rule in a built-in chain and each jump into one of our
    /// chains (rules inside our chains go with the chain), then "-F" and "-X" of each of our chains. Nothing that
    /// this rule set did not add is named.
    /// </summary>
    public static IReadOnlyList<string[]> Cleanup(IReadOnlyList<Rule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var commands = new List<string[]>();
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var rule = rules[i];
            if (!Chains.IsIstio(rule.Chain) || rule.JumpsToIstioChain)
            {
                commands.Add(rule.Command("-D"));
            }
        }
        var seen = new HashSet<(string Table, string Chain)>();
        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var rule = rules[i];
            if (seen.Add((rule.Table, rule.Chain)) && !Chains.IsBuiltIn(rule.Chain))
            {
                commands.Add(["-t", rule.Table, "-F", rule.Chain]);
                commands.Add(["-t", rule.Table, "-X", rule.Chain]);
            }
        }
        return commands;
    }

    /// <summary>Drops TCP and UDP in the filter table while a reconcile swaps rules, so nothing leaks uncaptured.</summary>
    public static IReadOnlyList<string[]> Guardrails() =>
    [
        ["-t", Tables.Filter, "-I", Chains.Input, "1", "-p", "tcp", "-j", "DROP"],
        ["-t", Tables.Filter, "-I", Chains.Input, "1", "-p", "udp", "-j", "DROP"],
        ["-t", Tables.Filter, "-I", Chains.Forward, "1", "-p", "tcp", "-j", "DROP"],
        ["-t", Tables.Filter, "-I", Chains.Forward, "1", "-p", "udp", "-j", "DROP"],
        ["-t", Tables.Filter, "-I", Chains.Output, "1", "-p", "tcp", "-j", "DROP"],
        ["-t", Tables.Filter, "-I", Chains.Output, "1", "-p", "udp", "-j", "DROP"],
    ];

    public static IReadOnlyList<string[]> RemoveGuardrails() =>
    [
        ["-t", Tables.Filter, "-D", Chains.Input, "-p", "tcp", "-j", "DROP"],
        ["-t", Tables.Filter, "-D", Chains.Input, "-p", "udp", "-j", "DROP"],
        ["-t", Tables.Filter, "-D", Chains.Forward, "-p", "tcp", "-j", "DROP"],
        ["-t", Tables.Filter, "-D", Chains.Forward, "-p", "udp", "-j", "DROP"],
        ["-t", Tables.Filter, "-D", Chains.Output, "-p", "tcp", "-j", "DROP"],
        ["-t", Tables.Filter, "-D", Chains.Output, "-p", "udp", "-j", "DROP"],
    ];
}
