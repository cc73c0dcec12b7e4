using Sidecar.Init.Diagnostics;
using Sidecar.Init.Rules;
using Sidecar.Init.Xtables;

namespace Sidecar.Init.Capture;

/// <summary>
/// Brings the rule set into the kernel the way istio-iptables does (executeCommands): look at what is there,
/// remove our old rules if asked to (under guardrails that hold TCP/UDP meanwhile), then apply each family's whole
/// rule set in one iptables-restore --noflush, so the rules appear atomically and other owners' rules stay.
/// </summary>
internal sealed class CaptureInstaller
{
    private readonly IXtables _xtables;
    private readonly InitLog _log;
    private readonly IptablesBinaries _v4;
    private readonly IptablesBinaries _v6;

    public CaptureInstaller(IXtables xtables, InitLog log, IptablesBinaries v4, IptablesBinaries v6)
    {
        ArgumentNullException.ThrowIfNull(xtables);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(v4);
        ArgumentNullException.ThrowIfNull(v6);
        _xtables = xtables;
        _log = log;
        _v4 = v4;
        _v6 = v6;
    }

    /// <summary>
    /// What to do with the rules besides applying them. <see cref="SweepLeftovers"/>: after a cleanup, also remove
    /// ISTIO_* chains and jumps into them that the given flags did not produce (installed with other flags).
    /// </summary>
    public readonly record struct Mode(bool CleanupOnly, bool Reconcile, bool ForceApply, bool SweepLeftovers = false);

    /// <summary>Installs (or, with <see cref="Mode.CleanupOnly"/>, removes) the rules; false when a step failed.</summary>
    public bool Run(RuleSet rules, Mode mode)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var guardrails = false;
        try
        {
            var (residue, delta) = StateVerifier.Verify(_xtables, rules, _v4, _v6);
            if (residue && delta && !mode.Reconcile)
            {
                _log.Info("Existing rules differ from the planned ones (--reconcile would first remove ISTIO_* rules of earlier runs); applying over them");
            }
            if ((residue && delta && mode.Reconcile) || mode.CleanupOnly)
            {
                if (!mode.CleanupOnly)
                {
                    _log.Info("Setting up guardrails");
                    foreach (var binaries in Families(rules))
                    {
                        RunAll(binaries, RuleCommands.RemoveGuardrails(), quiet: true);
                        if (!RunAll(binaries, RuleCommands.Guardrails(), quiet: false))
                        {
                            return false;
                        }
                        guardrails = true;
                    }
                }
                _log.Info("Removing the rules of earlier runs");
                RunAll(_v4, RuleCommands.Cleanup(rules.For(IpFamily.V4)), quiet: true);
                if (rules.EnableIPv6)
                {
                    RunAll(_v6, RuleCommands.Cleanup(rules.For(IpFamily.V6)), quiet: true);
                }
                if (mode.CleanupOnly && mode.SweepLeftovers)
                {
                    RemoveLeftovers(_v4);
                    RemoveLeftovers(_v6);
                }
            }

            if ((delta || mode.ForceApply) && !mode.CleanupOnly)
            {
                _log.Info("Applying iptables chains and rules");
                if (!Restore(_v4, rules.For(IpFamily.V4)))
                {
                    return false;
                }
                if (rules.EnableIPv6 && !Restore(_v6, rules.For(IpFamily.V6)))
                {
                    return false;
                }
            }
            else if (!mode.CleanupOnly)
            {
                _log.Info("The rules are in place already; nothing to apply");
            }
            return true;
        }
        finally
        {
            if (guardrails)
            {
                _log.Info("Removing guardrails");
                foreach (var binaries in Families(rules))
                {
                    RunAll(binaries, RuleCommands.RemoveGuardrails(), quiet: false);
                }
            }
            FinalState(rules);
        }
    }

    private void RemoveLeftovers(IptablesBinaries binaries)
    {
        var save = _xtables.Run(binaries, XtablesCommand.Save, [], quiet: true);
        if (!save.Succeeded)
        {
            return;
        }
        var leftovers = IptablesState.Parse(save.Stdout).IstioLeftovers().ToList();
        if (leftovers.Count == 0)
        {
            return;
        }
        _log.Warn($"Removing {leftovers.Count} ISTIO_* chains and jumps that other flags installed");
        var commands = new List<string[]>();
        foreach (var (table, _, jump) in leftovers)
        {
            // "-A CHAIN args" as saved becomes "-t table -D CHAIN args".
            if (jump is not null && jump.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var chain, .. var args])
            {
                commands.Add(["-t", table, "-D", chain, .. args]);
            }
        }
        // Flush every chain before deleting any: our chains jump to each other.
        foreach (var (table, chain, _) in leftovers)
        {
            if (chain is not null)
            {
                commands.Add(["-t", table, "-F", chain]);
            }
        }
        foreach (var (table, chain, _) in leftovers)
        {
            if (chain is not null)
            {
                commands.Add(["-t", table, "-X", chain]);
            }
        }
        RunAll(binaries, commands, quiet: true);
    }

    private bool Restore(IptablesBinaries binaries, IReadOnlyList<Rule> rules) =>
        _xtables.Run(binaries, XtablesCommand.Restore, ["--noflush"], RestoreScript.Build(rules)).Succeeded;

    private IptablesBinaries[] Families(RuleSet rules) => rules.EnableIPv6 ? [_v4, _v6] : [_v4];

    private bool RunAll(IptablesBinaries binaries, IReadOnlyList<string[]> commands, bool quiet)
    {
        foreach (var command in commands)
        {
            if (!_xtables.Run(binaries, XtablesCommand.Iptables, command, quiet: quiet).Succeeded && !quiet)
            {
                return false;
            }
        }
        return true;
    }

    private void FinalState(RuleSet rules)
    {
        var v4 = _xtables.Run(_v4, XtablesCommand.Save, [], quiet: true);
        if (v4.Succeeded && v4.Stdout.Length > 0)
        {
            _log.Info("Final iptables state (IPv4):\n" + v4.Stdout.TrimEnd());
        }
        if (rules.EnableIPv6)
        {
            var v6 = _xtables.Run(_v6, XtablesCommand.Save, [], quiet: true);
            if (v6.Succeeded && v6.Stdout.Length > 0)
            {
                _log.Info("Final iptables state (IPv6):\n" + v6.Stdout.TrimEnd());
            }
        }
    }
}
