namespace Sidecar.Init.Xtables;

/// <summary>The three programs of an iptables variant; which binary each is depends on the detected variant.</summary>
internal enum XtablesCommand
{
    Iptables,
    Save,
    Restore,
}
