using Sidecar.Init.Processes;

namespace Sidecar.Init.Xtables;

/// <summary>Runs iptables, iptables-save and iptables-restore of a variant: for real, or printed for a dry run.</summary>
internal interface IXtables
{
    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/> and, for iptables-restore, the rule set on
    /// stdin. A <paramref name="quiet"/> run is one whose failure is expected (checks, best-effort deletes).
    /// </summary>
    CommandResult Run(IptablesBinaries binaries, XtablesCommand command, IReadOnlyList<string> arguments, string? stdin = null, bool quiet = false);
}
