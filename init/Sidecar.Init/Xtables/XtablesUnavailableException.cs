namespace Sidecar.Init.Xtables;

/// <summary>No usable iptables: not installed, or not permitted (no NET_ADMIN), or no kernel support.</summary>
internal sealed class XtablesUnavailableException : Exception
{
    public XtablesUnavailableException(string message)
        : base(message)
    {
    }

    public XtablesUnavailableException()
    {
    }

    public XtablesUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
