using Sidecar.Init.Rules;
using Sidecar.Init.Xtables;

namespace Sidecar.Init.Capture;

/// <summary>
/// Compares what iptables-save shows with what the rule set would install (istio-iptables' VerifyIptablesState), so
/// a rerun neither duplicates rules nor fails on chains that exist. "Residue": rules are present. "Delta": they are
/// not exactly ours - a chain of ours is missing, extra or has another rule count, or "iptables -C" misses a rule.
/// Rule order is not compared.
/// </summary>
internal static class StateVerifier
{
    public readonly record struct Verdict(bool ResidueExists, bool DeltaExists);

    public static Verdict Verify(IXtables xtables, RuleSet rules, IptablesBinaries v4, IptablesBinaries v6)
    {
        ArgumentNullException.ThrowIfNull(xtables);
        ArgumentNullException.ThrowIfNull(rules);
        var residue = false;
        var delta = false;
        foreach (var (family, binaries) in new[] { (IpFamily.V4, v4), (IpFamily.V6, v6) })
        {
            var planned = rules.For(family);
            var expected = IptablesState.Parse(RestoreScript.Build(planned));
            var (familyResidue, familyDelta) = VerifyFamily(xtables, binaries, expected, planned);
            delta |= familyDelta;
            // Rules left in a family we plan nothing for do not count.
            residue |= familyResidue && !expected.IsEmpty;
        }
        return residue ? new Verdict(true, delta) : new Verdict(false, true);
    }

    private static (bool Residue, bool Delta) VerifyFamily(IXtables xtables, IptablesBinaries binaries, IptablesState expected, IReadOnlyList<Rule> planned)
    {
        var save = xtables.Run(binaries, XtablesCommand.Save, [], quiet: true);
        if (!save.Succeeded)
        {
            // Nothing readable: assume a clean state.
            return (false, !expected.IsEmpty);
        }
        var current = IptablesState.Parse(save.Stdout);
        if (current.IsEmpty)
        {
            return (false, !expected.IsEmpty);
        }
        return (true, Differs(expected, current) || !AllPresent(xtables, binaries, planned));
    }

    private static bool Differs(IptablesState expected, IptablesState current)
    {
        foreach (var (table, chains) in expected.Tables)
        {
            if (!current.Tables.TryGetValue(table, out var currentChains))
            {
                return true;
            }
            foreach (var (chain, rules) in chains)
            {
                if (!currentChains.TryGetValue(chain, out var currentRules) || (Chains.IsIstio(chain) && rules.Count != currentRules.Count))
                {
                    return true;
                }
            }
        }
        foreach (var (table, chains) in current.Tables)
        {
            foreach (var chain in chains.Keys)
            {
                if (Chains.IsIstio(chain) && !expected.Tables[table].ContainsKey(chain))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool AllPresent(IXtables xtables, IptablesBinaries binaries, IReadOnlyList<Rule> planned)
    {
        foreach (var check in RuleCommands.Check(planned))
        {
            if (!xtables.Run(binaries, XtablesCommand.Iptables, check, quiet: true).Succeeded)
            {
                return false;
            }
        }
        return true;
    }
}
