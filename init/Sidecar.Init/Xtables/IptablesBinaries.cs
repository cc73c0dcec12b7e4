namespace Sidecar.Init.Xtables;

/// <summary>
/// The iptables variant chosen for one address family (istio-iptables' IptablesVersion): the binaries, the version,
/// and whether it is the legacy (x_tables) backend, which needs the xtables lock.
/// </summary>
internal sealed record IptablesBinaries(string Binary, string SaveBinary, string RestoreBinary, Version Version, bool Legacy, bool ExistingRules)
{
    /// <summary>iptables-restore learned -w (wait for the lock) in 1.6.2.</summary>
    private static readonly Version RestoreLocking = new(1, 6, 2);

    /// <summary>No binary: the family could not be detected and is not needed (IPv6 on an IPv4 pod).</summary>
    public static readonly IptablesBinaries None = new(string.Empty, string.Empty, string.Empty, new Version(0, 0), Legacy: false, ExistingRules: false);

    public static IptablesBinaries Named(string binary) =>
        new(binary, binary + "-save", binary + "-restore", new Version(0, 0), Legacy: false, ExistingRules: false);

    public string For(XtablesCommand command) => command switch
    {
        XtablesCommand.Iptables => Binary,
        XtablesCommand.Save => SaveBinary,
        XtablesCommand.Restore => RestoreBinary,
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };

    /// <summary>Writes on the legacy backend take the xtables lock; nf_tables needs none.</summary>
    public bool NeedsLock(XtablesCommand command) =>
        command is XtablesCommand.Iptables or XtablesCommand.Restore && Legacy && Version >= RestoreLocking;
}
